/**
 * A WebRTC data channel between two admitted participants, made by node-datachannel
 * (libdatachannel/libjuice): each side takes a TURN server of its own welcome, binds its
 * own loopback address, gathers relay candidates only (`iceTransportPolicy: 'relay'`),
 * and signals SDP and candidates through the control plane. Once the channel is open each
 * side sends one message and waits for the other's; then the selected candidate pair of
 * each side says whether the data really went relay to relay.
 */
import nodeDataChannel, { type DataChannel, type IceServer, type PeerConnection } from 'node-datachannel'

import type { IceServerShape, SignalFromMessage } from '../../control-plane/protocol/server-messages.js'
import { within } from './demo-error.js'
import type { JoinedParticipant } from './participant.js'

export interface SelectedPair {
  readonly local: { readonly type: string; readonly address: string; readonly port: number }
  readonly remote: { readonly type: string; readonly address: string; readonly port: number }
}

export interface DataLinkResult {
  /** What each side received, keyed by identity. */
  readonly received: Readonly<Record<string, string>>
  readonly sent: Readonly<Record<string, string>>
  /** The selected candidate pair of each side, keyed by identity (undefined: none selected). */
  readonly pairs: Readonly<Record<string, SelectedPair | undefined>>
  /** Candidates each side trickled through the control plane. */
  readonly candidates: readonly string[]
}

export interface DataLink {
  readonly result: DataLinkResult
  /** Closes both peer connections; resolves once libdatachannel reports both closed (bounded). Idempotent. */
  close(): Promise<void>
}

/**
 * Every DataChannel this module creates or receives, kept reachable until
 * `releaseNativePeers()`. node-datachannel 0.33's DataChannel destructor does not remove
 * the channel from the registry `cleanup()` walks, so a channel garbage-collected before
 * its 'closed' callback ran leaves a dangling pointer there and `cleanup()` crashes the
 * process with SIGSEGV (seen here after two demo runs in one process).
 */
const retained = new Set<DataChannel>()

/** node-datachannel keeps native threads alive until this is called; call once, when no peer is left. */
export function releaseNativePeers(): void {
  nodeDataChannel.cleanup()
  retained.clear()
}

/** The welcome's TURN-over-UDP servers in node-datachannel's object form (a REST username contains ':', so no URL form). */
export function turnServersOf(servers: readonly IceServerShape[]): IceServer[] {
  const out: IceServer[] = []
  for (const server of servers) {
    for (const url of server.urls) {
      const m = /^turn:(\[[^\]]+\]|[^:?]+):(\d+)(\?.*)?$/.exec(url)
      if (!m || !(m[3] ?? '').includes('transport=udp') || server.username === undefined || server.credential === undefined) continue
      out.push({ hostname: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), username: server.username, password: server.credential, relayType: 'TurnUdp' })
    }
  }
  return out
}

/** Opens a channel from `a` (offerer) to `b`, exchanges one message each way, reports the pairs. */
export async function openDataLink(a: JoinedParticipant, b: JoinedParticipant, timeoutMs: number): Promise<DataLink> {
  const label = `demo-${a.member.identity}-${b.member.identity}`
  const pcA = peerFor(a, label)
  const pcB = peerFor(b, label)
  // libdatachannel closes in its own threads; `cleanup()` while a close is still under
  // way can crash the process, so closing waits for the 'closed' state of both sides.
  const closed = [pcA, pcB].map((pc) => new Promise<void>((resolve) => pc.onStateChange((state) => { if (state === 'closed') resolve() })))
  const channels: DataChannel[] = []
  const unwire: Array<() => void> = []
  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    for (const off of unwire) off()
    for (const c of channels) c.close()
    pcA.close()
    pcB.close()
    await within(Promise.all(closed), `${label}: both peer connections close`, timeoutMs)
  })())
  try {
    const candidates: string[] = []
    unwire.push(wire(pcA, a, b.welcome.participantId, label, candidates), wire(pcB, b, a.welcome.participantId, label, candidates))
    const sent = {
      [a.member.identity]: `hello ${b.member.displayName}, from ${a.member.displayName} in ${a.member.country}`,
      [b.member.identity]: `hello ${a.member.displayName}, from ${b.member.displayName} in ${b.member.country}`,
    }
    const bGot = new Promise<string>((resolve) => {
      pcB.onDataChannel((dc) => {
        channels.push(dc)
        retained.add(dc)
        dc.onMessage((msg) => {
          resolve(String(msg))
          dc.sendMessage(sent[b.member.identity]!)
        })
      })
    })
    const dc = pcA.createDataChannel(label)
    channels.push(dc)
    retained.add(dc)
    const aGot = new Promise<string>((resolve) => dc.onMessage((msg) => resolve(String(msg))))
    await within(new Promise<void>((resolve) => dc.onOpen(() => resolve())), `the data channel ${a.member.displayName} → ${b.member.displayName} opens`, timeoutMs)
    dc.sendMessage(sent[a.member.identity]!)
    const received = {
      [b.member.identity]: await within(bGot, `${b.member.displayName} receives`, timeoutMs),
      [a.member.identity]: await within(aGot, `${a.member.displayName} receives`, timeoutMs),
    }
    const pairs = { [a.member.identity]: pairOf(pcA), [b.member.identity]: pairOf(pcB) }
    return { result: { received, sent, pairs, candidates }, close }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * Each side uses the control plane's first choice of relay only: with both relays of the
 * welcome, libjuice takes about two seconds longer to settle on a pair (measured here:
 * ~2.3 s against ~0.5 s on loopback), and the demo is meant to be watched, not waited for.
 */
function peerFor(p: JoinedParticipant, label: string): PeerConnection {
  return new nodeDataChannel.PeerConnection(`${label}-${p.member.identity}`, {
    iceServers: turnServersOf(p.welcome.iceServers).slice(0, 1),
    iceTransportPolicy: 'relay',
    bindAddress: p.member.address,
  })
}

function pairOf(pc: PeerConnection): SelectedPair | undefined {
  const pair = pc.getSelectedCandidatePair()
  if (!pair) return undefined
  return {
    local: { type: pair.local.type, address: pair.local.address, port: pair.local.port },
    remote: { type: pair.remote.type, address: pair.remote.address, port: pair.remote.port },
  }
}

/** Local SDP/candidates out to `peerId`; signals from `peerId` in. Returns the unsubscribe. */
function wire(pc: PeerConnection, self: JoinedParticipant, peerId: string, label: string, candidates: string[]): () => void {
  pc.onLocalDescription((sdp, type) => {
    if (type === 'offer') self.client.offer(peerId, sdp, { dataChannels: [{ label }] })
    else self.client.answer(peerId, sdp)
  })
  pc.onLocalCandidate((candidate, mid) => {
    candidates.push(candidate)
    self.client.ice(peerId, { candidate, sdpMid: mid })
  })
  const onSignal = (m: SignalFromMessage) => {
    if (m.from !== peerId) return
    if (m.kind === 'offer' || m.kind === 'answer') pc.setRemoteDescription(m.payload, m.kind)
    else if (m.kind === 'ice' && m.payload !== '') {
      const c = JSON.parse(m.payload) as { candidate: string; sdpMid: string }
      pc.addRemoteCandidate(c.candidate, c.sdpMid)
    }
  }
  self.client.on('signal', onSignal)
  return () => self.client.off('signal', onSignal)
}
