/**
 * Relay secrets rotate by overlap without dropping allocations: a reloaded config with a
 * new secret first and the old one second makes both verify; once the old one is gone,
 * its credentials fail, while allocations made under it keep relaying until they end.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { startRegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState } from '../../../state/region-state.js'
import { OPEN_MEETING_SETTINGS, testNetwork } from '../../support/test-network.js'
import { TurnClient, TurnError, echoPeer } from '../../support/turn-client.js'

const OLD = 'old-relay-secret-0001'
const NEW = 'new-relay-secret-0002'
/** The same one-region network with its relay secrets, newest first. */
const network = (secrets: string[]) => testNetwork([{ id: 'eu-central', country: 'DE', secret: secrets[0]!, relays: ['eu-r1'] }], {}, undefined, secrets)

t.test('relay secrets rotate by overlap on reload without dropping allocations', async (t) => {
  const prefix = `t-rot-${randomBytes(3).toString('hex')}`
  const relay = await startRegionRelay({ config: network([OLD]), region: 'eu-central', id: 'eu-r1', metrics: null, statePrefix: prefix })
  const state = openRegionState({ region: 'eu-central', redis: { url: 'redis://127.0.0.1:6379' }, prefix })
  const echo = await echoPeer('127.0.0.9')
  const clients: TurnClient[] = []
  t.teardown(async () => {
    for (const c of clients) await c.close()
    await echo.close()
    await relay.close()
    const raw = state.connection!.command
    const keys = await raw.keys(`${prefix}*`)
    if (keys.length) await raw.del(...keys)
    await state.close()
  })
  await state.ready()
  const m = newMeetingId('eu-central')
  await state.meetings.create({ id: m, tenantId: 't', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'allow' }, settings: OPEN_MEETING_SETTINGS, createdAt: Date.now() })
  for (const [pid, addr] of [['p_a', '127.0.0.1'], ['p_b', '127.0.0.1'], ['p_c', '127.0.0.1'], ['p_echo', '127.0.0.9']] as const) {
    await state.meetings.putParticipant(m, { id: pid, identity: pid, role: 'attendee', status: 'admitted', addresses: [addr], node: 'test', joinedAt: Date.now() })
  }
  const port = relay.node.addresses.find((a) => a.transport === 'udp')!.port
  const client = async (secret: string, pid: string) => {
    const cred = mintTurnCredential({ secret, meetingId: m, participantId: pid, ttlSeconds: 600, now: Date.now })
    const c = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port, username: cred.username, password: cred.password })
    clients.push(c)
    return c
  }
  const code = (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (e instanceof TurnError ? e.code : Promise.reject(e)))

  const underOld = await client(OLD, 'p_a')
  await underOld.allocate()
  await underOld.channelBind(0x4000, echo.address)

  t.same(relay.reload(network([NEW, OLD])), { secrets: 2, needsRestart: [] })
  t.equal(await code((await client(NEW, 'p_b')).allocate()), 0, 'the new secret verifies')
  t.equal(await code((await client(OLD, 'p_c')).allocate()), 0, 'the old one still does during the overlap')

  relay.reload(network([NEW]))
  t.equal(await code((await client(OLD, 'p_c')).allocate()), 401, 'once removed, the old secret no longer verifies')
  underOld.sendChannelData(0x4000, Buffer.from('still here'))
  t.equal((await underOld.nextData()).data.toString(), 'still here', 'an allocation made under the old secret keeps relaying')
})
