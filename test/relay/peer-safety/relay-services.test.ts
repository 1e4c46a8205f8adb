import t from 'tap'

import { RelayServices, compileRelayServices, relayServiceVerdict, type RelayEndpoints } from '../../../relay/peer-safety/relay-services.js'

const a: RelayEndpoints = { id: 'eu-a', addresses: ['203.0.113.10', '2001:db8::10'], servicePorts: [3478, 443, 9090], relayPorts: { min: 49152, max: 65535 } }
const b: RelayEndpoints = { id: 'eu-b', addresses: ['203.0.113.20'], servicePorts: [3478], relayPorts: { min: 40000, max: 40999 } }
/** Registered by an older relay: no relayed range known. */
const old: RelayEndpoints = { id: 'eu-old', addresses: ['203.0.113.30'], servicePorts: [3478] }
/** Shares an address with `a` (one host, two relays). */
const shared: RelayEndpoints = { id: 'eu-s', addresses: ['203.0.113.10'], servicePorts: [3479], relayPorts: { min: 30000, max: 30999 } }

const index = compileRelayServices([a, b, old])
const reasonOf = (address: string, port: number) => relayServiceVerdict(index, { address, port })?.reason ?? 'no objection'

t.test('a relay\'s service ports and its addresses outside its relayed ports are refused; its relayed addresses and strangers are not', async (t) => {
  const cases: [string, number, string, string][] = [
    ['203.0.113.10', 3478, 'peer_is_relay_service', 'the TURN UDP/TCP listener'],
    ['203.0.113.10', 443, 'peer_is_relay_service', 'the TURN over TLS listener'],
    ['203.0.113.10', 9090, 'peer_is_relay_service', 'the metrics listener'],
    ['203.0.113.10', 22, 'peer_is_relay_service', 'any other port of the relay outside its relayed range'],
    ['203.0.113.10', 49152, 'no objection', 'the first relayed port'],
    ['203.0.113.10', 65535, 'no objection', 'the last relayed port'],
    ['2001:db8::10', 3478, 'peer_is_relay_service', 'the IPv6 address too'],
    ['2001:0db8:0:0::10', 50000, 'no objection', 'any spelling of it'],
    ['::ffff:203.0.113.10', 3478, 'peer_is_relay_service', 'an IPv4-mapped IPv6 spelling'],
    ['203.0.113.20', 40500, 'no objection', 'another relay\'s relayed port'],
    ['203.0.113.20', 50000, 'peer_is_relay_service', 'outside that relay\'s own range'],
    ['203.0.113.30', 3478, 'peer_is_relay_service', 'an older relay\'s service port'],
    ['203.0.113.30', 50000, 'no objection', 'an older relay without a known range is held to its service ports only'],
    ['198.51.100.7', 3478, 'no objection', 'not a relay: for the rest of the policy to judge'],
    ['not-an-ip', 3478, 'no objection', 'not an address: peer safety refuses it'],
  ]
  for (const [address, port, want, why] of cases) t.equal(reasonOf(address, port), want, `${address}:${port} — ${why}`)
})

t.test('relays sharing an address are judged together', async (t) => {
  const both = compileRelayServices([a, shared])
  t.equal(relayServiceVerdict(both, { address: '203.0.113.10', port: 30500 }), undefined, 'a relayed port of either is a peer')
  t.equal(relayServiceVerdict(both, { address: '203.0.113.10', port: 3479 })?.reason, 'peer_is_relay_service', 'a service port of either is not')
  t.equal(relayServiceVerdict(both, { address: '203.0.113.10', port: 50000 }), undefined)
})

t.test('the refusal names the relay and the port', async (t) => {
  t.match(relayServiceVerdict(index, { address: '203.0.113.10', port: 9090 })?.detail, /203\.0\.113\.10:9090 is a service port of relay eu-a/)
  t.match(relayServiceVerdict(index, { address: '203.0.113.20', port: 1 })?.detail, /outside its relayed ports \(eu-b 40000-40999\)/)
})

t.test('wildcard and name addresses are not indexed', async (t) => {
  const idx = compileRelayServices([{ id: 'w', addresses: ['0.0.0.0', '::', 'turn.example.net'], servicePorts: [3478] }])
  t.equal(idx.size, 0)
})

t.test('RelayServices combines this relay with the fleet it reads, recompiling only on a new list', async (t) => {
  const guard = new RelayServices()
  t.equal(guard.check({ address: '203.0.113.20', port: 3478 }), undefined, 'knows nothing before it is told')
  guard.setOwn(a)
  t.equal(guard.check({ address: '203.0.113.10', port: 3478 })?.reason, 'peer_is_relay_service')
  let reads = 0
  let fleet: readonly RelayEndpoints[] = [b]
  guard.setFleetSource(async () => {
    reads++
    return fleet
  })
  t.equal(guard.check({ address: '203.0.113.20', port: 3478 }), undefined, 'the fleet is learned on refresh')
  await guard.refresh()
  t.equal(guard.check({ address: '203.0.113.20', port: 3478 })?.reason, 'peer_is_relay_service')
  t.equal(guard.check({ address: '203.0.113.10', port: 3478 })?.reason, 'peer_is_relay_service', 'its own endpoints still count')
  fleet = []
  await guard.refresh()
  t.equal(guard.check({ address: '203.0.113.20', port: 3478 }), undefined, 'a relay that left the fleet is forgotten')
  t.equal(reads, 2)
})
