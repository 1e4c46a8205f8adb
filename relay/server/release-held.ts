/**
 * The handlers' side of held data (held-data.ts): a CreatePermission or ChannelBind marks
 * its peers (and channel) as being decided before it asks the policy, and when it is
 * answered — granted, refused, failed, or its allocation gone — releases what no decision
 * blocks any more. Released data is handled as if it arrived now: forwarded when the
 * permission (and channel) exists, else dropped and counted as usual (`no-permission`,
 * `no-channel`). `tick` releases what waited too long the same way.
 */
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import { routeChannelData } from './handle-channel-data.js'
import { forwardSend } from './handle-send.js'
import { PendingDecisions } from './held-data.js'
import type { ServerCore } from './server-core.js'

export function beginDecision(a: Allocation, peers: readonly string[], channel?: number): void {
  (a.decisions ??= new PendingDecisions()).begin(peers, channel)
}

/** The decision begun with the same arguments ended: the actions for the data it released. */
export function endDecision(s: ServerCore, a: Allocation, peers: readonly string[], channel?: number): Action[] {
  a.decisions?.end(peers, channel)
  return releaseHeld(s, a)
}

/** Handles what is ready to leave the allocation's hold (see held-data.ts), in arrival order. */
export function releaseHeld(s: ServerCore, a: Allocation): Action[] {
  const d = a.decisions
  if (d === undefined) return []
  const now = s.now()
  const actions: Action[] = []
  for (const h of d.takeReady(now)) {
    if (s.table.byId(a.id) !== a || a.state !== 'active') {
      actions.push(s.countDrop('no-allocation'))
    } else if (h.kind === 'send') {
      actions.push(forwardSend(s, a, h.peer, h.data, now))
    } else {
      const routed = routeChannelData(a, h.frame, now)
      actions.push(typeof routed === 'string'
        ? s.countDrop(routed)
        : { type: 'send-peer', allocationId: a.id, peer: routed.peer, data: h.frame.subarray(4, 4 + h.frame.readUInt16BE(2)) })
    }
  }
  if (d.idle) a.decisions = undefined
  return actions
}
