import t from 'tap'
import { canonicalAddressSet, permitPeer } from '../../../geo/policy/peer.js'

// A stand-in for the relay's peer-safety list: loopback allowed by the operator, the
// rest of the special ranges denied.
const denied = (ip: string) => ip === '::1' || /^(10\.|192\.168\.|169\.254\.|0\.|22[4-9]\.|23\d\.)/.test(ip) || ip.startsWith('fe80:')
const relaysOfAllowedSet = canonicalAddressSet(['127.0.1.1:3478', '[2001:db8:1::1]:3478', '10.0.0.7'])
const admittedEndpoints = canonicalAddressSet(['127.9.0.1', '::ffff:127.9.0.2', '2001:DB8:2:0::5', 'garbage'])

t.test('a relay permits only relays of the allowed set and admitted endpoints, never denied ranges', async (t) => {
  const cases: Array<[string, string, boolean, string]> = [
    ['a relay of the allowed set', '127.0.1.1', true, 'peer_is_relay_of_meeting'],
    ['a relay of the allowed set over IPv6, any spelling', '2001:0db8:0001:0000:0000:0000:0000:0001', true, 'peer_is_relay_of_meeting'],
    ['an admitted endpoint', '127.9.0.1', true, 'peer_is_admitted_endpoint'],
    ['an admitted endpoint given as IPv4-mapped IPv6', '::ffff:127.9.0.1', true, 'peer_is_admitted_endpoint'],
    ['an admitted endpoint listed as IPv4-mapped IPv6', '127.9.0.2', true, 'peer_is_admitted_endpoint'],
    ['an admitted IPv6 endpoint with a port', '[2001:db8:2::5]:50000', true, 'peer_is_admitted_endpoint'],
    ['a stranger', '127.8.0.1', false, 'peer_not_in_meeting'],
    ['a relay of the set on a denied range is still denied', '10.0.0.7', false, 'peer_denied_range'],
    ['cloud metadata', '169.254.169.254', false, 'peer_denied_range'],
    ['cloud metadata as IPv4-mapped IPv6', '::ffff:169.254.169.254', false, 'peer_denied_range'],
    ['multicast', '224.0.0.1', false, 'peer_denied_range'],
    ['IPv6 loopback', '::1', false, 'peer_denied_range'],
    ['link-local with a zone', 'fe80::1%eth0', false, 'peer_denied_range'],
    ['not an address', 'relay.example', false, 'peer_denied_range'],
    ['the empty string', '', false, 'peer_denied_range'],
  ]
  for (const [why, peerIp, allow, reason] of cases) {
    t.match(permitPeer({ peerIp, isDeniedRange: denied, relaysOfAllowedSet, admittedEndpoints }), { allow, reason }, `${why}: ${peerIp || '(empty)'} → ${reason}`)
  }
})

t.test('the deny list is asked with the canonical address', async (t) => {
  const asked: string[] = []
  permitPeer({ peerIp: '[::ffff:8.8.8.8]:1', isDeniedRange: (ip) => (asked.push(ip), false), relaysOfAllowedSet, admittedEndpoints })
  t.same(asked, ['8.8.8.8'])
})

t.test('address sets drop entries that are not addresses', async (t) => {
  t.same([...admittedEndpoints].sort(), ['127.9.0.1', '127.9.0.2', '2001:db8:2::5'])
})
