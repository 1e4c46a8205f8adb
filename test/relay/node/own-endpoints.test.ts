import t from 'tap'

import { ownRelayEndpoints } from '../../../relay/node/own-endpoints.js'

const local = (family: 4 | 6) => (family === 4 ? ['127.0.0.1', '192.0.2.5'] : ['::1'])

t.test('a relay\'s own endpoints are its listeners, metrics, relay and public addresses, and its relayed range', async (t) => {
  const e = ownRelayEndpoints({
    id: 'eu-r1',
    services: [{ host: '192.0.2.5', port: 3478, family: 4 }, { host: '192.0.2.5', port: 5349, family: 4 }, { host: '192.0.2.5', port: 9090, family: 4 }],
    addresses: ['192.0.2.5', undefined, '203.0.113.9', undefined],
    relayPorts: { min: 49152, max: 65535 },
    local,
  })
  t.same(e, { id: 'eu-r1', addresses: ['192.0.2.5', '203.0.113.9'], servicePorts: [3478, 5349, 9090], relayPorts: { min: 49152, max: 65535 } })
})

t.test('a wildcard listener stands for every local address of its family', async (t) => {
  const e = ownRelayEndpoints({ id: 'x', services: [{ host: '0.0.0.0', port: 3478, family: 4 }, { host: '::', port: 3478, family: 6 }], addresses: ['203.0.113.9'], relayPorts: undefined, local })
  t.same(e.addresses, ['127.0.0.1', '192.0.2.5', '::1', '203.0.113.9'])
  t.same(e.servicePorts, [3478])
  t.notOk('relayPorts' in e, 'no range, no rule about it')
})
