/**
 * TURN hairpin (issue 9 item 9). A client may permit a relay of its own meeting as a
 * peer (relay-to-relay media needs that); it must not then reach that relay's service
 * ports through its allocation. Otherwise it tunnels a TURN Allocate to the listener,
 * the relay judges the nested request by its own address (an allowed country), and a
 * participant from a blocked country relays through the meeting while the signed
 * report says compliant. A relay-to-relay permission is only for relayed transport
 * addresses: service ports (TURN listeners, metrics) and any port of a relay's
 * addresses outside its relayed port range are refused, and the refusal is audited
 * with its own reason.
 *
 * Real relay sockets on loopback and the real Redis at 127.0.0.1:6379 under a unique
 * prefix; the relay's own address 127.0.0.1 stands in Germany, 127.22.x in China.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'

import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { Attr, Method, MessageClass, encodeRequestedTransport, TRANSPORT_UDP, type StunMessage, type TransportAddress } from '../../../relay/proto/index.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import type { AuditEvent } from '../../../state/audit.js'
import { decodeMessage, errorCodeOf, request, textOf } from '../../support/stun-builder.js'
import { OPEN_MEETING_SETTINGS, testNetwork } from '../../support/test-network.js'
import { TurnClient, TurnError } from '../../support/turn-client.js'

const SECRET = 'eu-relay-secret-hairpin'
const REDIS = 'redis://127.0.0.1:6379'
const config = testNetwork(
  [{ id: 'eu-central', country: 'DE', secret: SECRET, redis: REDIS, relays: ['eu-r1', 'eu-r2'] }],
  { '127.0.0.1/32': 'DE', '127.20.0.0/16': 'DE', '127.22.0.0/16': 'CN' },
)
const prefix = `t-hairpin-${randomBytes(4).toString('hex')}`

let relay: RegionRelay
/** A second relay of the region, on the same address: known to the first only through the fleet registry. */
let other: RegionRelay
let eu: RegionState
let listener: TransportAddress
const clients: TurnClient[] = []

t.before(async () => {
  relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: '127.0.0.1:0', statePrefix: prefix, heartbeatMs: 200 })
  const udp = relay.node.addresses.find((a) => a.transport === 'udp')!
  listener = { family: 4, address: udp.host, port: udp.port }
  other = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r2', metrics: null, statePrefix: prefix, heartbeatMs: 200 })
  eu = openRegionState({ region: 'eu-central', redis: { url: REDIS }, prefix })
  await eu.ready()
  await Promise.all([relay.heartbeat.beatNow(), other.heartbeat.beatNow()])
})

t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all([relay.close(), other.close()])
  const r = new Redis(REDIS)
  const keys = await r.keys(`${prefix}*`)
  if (keys.length) await r.del(...keys)
  r.disconnect()
  await eu.close()
})

async function meetingWith(participants: [string, string][]): Promise<string> {
  const id = newMeetingId('eu-central')
  const made = await eu.meetings.create({ id, tenantId: 'acme', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'block', countries: ['CN'], unknown: 'deny' }, settings: OPEN_MEETING_SETTINGS, createdAt: Date.now() })
  if (!made.ok) throw new Error(made.refusal)
  for (const [pid, address] of participants) {
    const r = await eu.meetings.putParticipant(id, { id: pid, identity: pid, role: 'attendee', status: 'admitted', addresses: [address], node: 'test', joinedAt: Date.now() })
    if (!r.ok) throw new Error(r.refusal)
  }
  return id
}

function credential(meetingId: string, participantId: string) {
  return mintTurnCredential({ secret: SECRET, meetingId, participantId, ttlSeconds: 600, now: Date.now })
}

async function client(meetingId: string, participantId: string, from: string): Promise<TurnClient> {
  const cred = credential(meetingId, participantId)
  const c = await TurnClient.connect({ transport: 'udp', host: listener.address, port: listener.port, username: cred.username, password: cred.password, localAddress: from })
  clients.push(c)
  return c
}

async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    await p
  } catch (err) {
    if (err instanceof TurnError) return err.code
    throw err
  }
  return 0
}

/** Polls the meeting's audit stream (flushing the relay's sink) until `match` appears or `ms` pass. */
async function audited(meetingId: string, match: (e: AuditEvent) => boolean, ms = 3000): Promise<AuditEvent | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    await relay.audit.flush()
    const found = (await eu.audit.read(meetingId)).find(match)
    if (found || Date.now() > deadline) return found
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * A TURN Allocate tunnelled through `outer`'s allocation to `target` in Send
 * indications, answers read from Data indications: the 401 first, then the
 * authenticated request. Resolves with the final answer, or undefined when the first
 * request got none by the time `refused` settled.
 */
async function nestedAllocate(outer: TurnClient, target: TransportAddress, cred: { username: string; password: string }, refused: () => Promise<unknown>): Promise<StunMessage | undefined> {
  const ask = async (cred2?: { username: string; password: string; realm: string; nonce: string }): Promise<StunMessage | undefined> => {
    const txn = randomBytes(12)
    // From the target, in a Data indication or on a channel bound to it.
    const isAnswer = (data: Buffer): boolean => {
      try {
        return decodeMessage(data).transactionId.equals(txn)
      } catch {
        return false
      }
    }
    const answer = outer.nextData((r) => (r.peer === undefined || (r.peer.port === target.port && r.peer.address === target.address)) && isAnswer(r.data), 3000)
      .then((r) => decodeMessage(r.data), () => undefined)
    outer.sendIndication(target, request(Method.Allocate, [{ type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) }], cred2, txn))
    // Whichever comes first: the answer, or the relay's record of having dropped the request.
    return Promise.race([answer, refused().then((found) => (found ? undefined : answer))])
  }
  const challenge = await ask()
  if (!challenge || errorCodeOf(challenge) !== 401) return challenge
  return ask({ ...cred, realm: textOf(challenge, Attr.Realm)!, nonce: textOf(challenge, Attr.Nonce)! })
}

t.test('a participant from a blocked country cannot allocate directly', async (t) => {
  const m = await meetingWith([['p_lin', '127.22.0.9']])
  const lin = await client(m, 'p_lin', '127.22.0.9')
  t.equal(await refusal(lin.allocate()), 403)
})

t.test('nor through a hairpin: a TURN Allocate tunnelled to the relay\'s own listener is refused and audited', async (t) => {
  const m = await meetingWith([['p_fay', '127.20.0.5'], ['p_gus', '127.20.0.6'], ['p_lin', '127.22.0.9']])
  const fay = await client(m, 'p_fay', '127.20.0.5')
  await fay.allocate()
  const gus = await client(m, 'p_gus', '127.20.0.6')
  const { relayed: gusRelayed } = await gus.allocate()

  // The relay's own relayed transport address (another participant's) is a fine peer…
  await fay.createPermission(gusRelayed)
  t.pass('a relayed transport address of a relay of the meeting is permitted')
  // …its listener is not, through either request.
  t.equal(await refusal(fay.createPermission(listener)), 403, 'CreatePermission to the TURN listener is refused')
  t.equal(await refusal(fay.channelBind(0x4001, listener)), 403, 'ChannelBind to the TURN listener is refused')
  const metricsPort = Number(new URL(relay.node.metricsUrl!).port)
  t.equal(await refusal(fay.createPermission({ ...listener, port: metricsPort })), 403, 'the metrics port is refused')
  t.equal(await refusal(fay.createPermission({ ...listener, port: 5000 })), 403, 'a port of the relay outside its relayed range is refused')
  const refusedBind = await audited(m, (e) => e.kind === 'peer' && !e.allow && e.reason === 'peer_is_relay_service')
  t.ok(refusedBind, 'the refusal is audited with its own reason')
  t.equal(refusedBind?.participantId, 'p_fay')

  // The permission for the relay's IP (installed by the first CreatePermission) does not
  // carry Send indications to the listener: the nested Allocate gets no answer.
  const before = relay.node.server.table.size
  const sends = await audited.bind(null, m, (e) => e.kind === 'peer' && e.reason === 'peer_is_relay_service' && (e.detail ?? '').includes('send'))
  const lin = credential(m, 'p_lin')
  const answer = await nestedAllocate(fay, listener, lin, sends)
  t.equal(answer, undefined, `the nested Allocate is not answered${answer ? ` (got class ${answer.cls}, code ${errorCodeOf(answer)})` : ''}`)
  t.ok(await sends(), 'the dropped Send is audited with its own reason')
  t.equal(relay.node.server.table.size, before, 'no allocation was made for the tunnelled request')
  t.notOk([...relay.node.server.table.values()].some((a) => a.identity.participantId === 'p_lin'), 'the blocked participant holds no allocation')
  t.not(answer?.cls, MessageClass.SuccessResponse)
})

t.test('another relay of the fleet is judged the same: its relayed addresses are peers, its listener is not', async (t) => {
  const udp = other.node.addresses.find((a) => a.transport === 'udp')!
  const otherListener: TransportAddress = { family: 4, address: udp.host, port: udp.port }
  const m = await meetingWith([['p_ida', '127.20.0.7'], ['p_jon', '127.20.0.8'], ['p_lin', '127.22.0.9']])
  const ida = await client(m, 'p_ida', '127.20.0.7')
  await ida.allocate()
  const jonCred = credential(m, 'p_jon')
  const jon = await TurnClient.connect({ transport: 'udp', host: udp.host, port: udp.port, username: jonCred.username, password: jonCred.password, localAddress: '127.20.0.8' })
  clients.push(jon)
  const { relayed: onOther } = await jon.allocate()

  await ida.createPermission(onOther)
  t.pass('a relayed transport address on eu-r2 is permitted (relay-to-relay media)')
  t.equal(await refusal(ida.createPermission(otherListener)), 403, 'eu-r2\'s TURN listener is refused, known from the fleet registry')
  const refusedOther = await audited(m, (e) => e.kind === 'peer' && e.reason === 'peer_is_relay_service' && (e.detail ?? '').includes('eu-r2'))
  t.ok(refusedOther, `audited naming eu-r2: ${refusedOther?.detail}`)

  const sends = () => audited(m, (e) => e.kind === 'peer' && e.reason === 'peer_is_relay_service' && (e.detail ?? '').includes('send'))
  const answer = await nestedAllocate(ida, otherListener, credential(m, 'p_lin'), sends)
  t.equal(answer, undefined, 'a TURN Allocate tunnelled to eu-r2 is not answered')
  t.notOk([...other.node.server.table.values()].some((a) => a.identity.participantId === 'p_lin'), 'eu-r2 made no allocation for the blocked participant')
})
