import t from 'tap'

import { iceServersFor } from '../../../control-plane/services/ice-servers.js'
import { turnPassword } from '../../../relay/auth/credentials.js'
import type { LiveRelay } from '../../../state/fleet.js'
import { network } from '../app/fixture.js'

const net = network()
const now = () => Date.parse('2026-11-25T10:00:00Z')

function relay(id: string, region: string, over: Partial<LiveRelay> = {}): LiveRelay {
  return {
    id, region, udp: [`127.9.0.1:3478`], tcp: [], capacity: 10, version: 't', startedAt: 0,
    load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: 0, expiresAt: Number.MAX_SAFE_INTEGER, ...over,
  }
}

t.test('each relay gets its UDP, TCP and TLS URLs in that order and a credential of its own region\'s secret', async (t) => {
  const servers = iceServersFor({
    config: net.config, now, meetingId: 'eu-central.0123456789abcdefghjkmnpqrs', participantId: 'p1',
    relays: [relay('eu-1', 'eu-central', { tcp: ['127.9.0.1:3478'], tls: ['turn.example.net:443'] }), relay('us-1', 'us-east')],
  })
  t.same(servers.map((s) => s.urls), [
    ['turn:127.9.0.1:3478?transport=udp', 'turn:127.9.0.1:3478?transport=tcp', 'turns:turn.example.net:443?transport=tcp'],
    ['turn:127.9.0.1:3478?transport=udp'],
  ])
  t.match(servers[0]!.username, /:eu-central\.0123456789abcdefghjkmnpqrs:p1$/)
  const secretOf = (region: string) => net.config.regionById(region)!.relaySecrets[0]!.value
  t.equal(servers[1]!.credential, turnPassword(secretOf('us-east'), servers[1]!.username!), 'signed with us-east\'s secret')
  t.not(servers[1]!.credential, turnPassword(secretOf('eu-central'), servers[1]!.username!), 'not with another region\'s')
})

t.test('a relay of a region not in the config, or with no address, is left out', async (t) => {
  const servers = iceServersFor({
    config: net.config, now, meetingId: 'eu-central.0123456789abcdefghjkmnpqrs', participantId: 'p1',
    relays: [relay('x-1', 'mars-1'), relay('eu-2', 'eu-central', { udp: [] })],
  })
  t.same(servers, [])
})
