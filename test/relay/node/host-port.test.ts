import t from 'tap'

import { formatHostPort, parseHostPort } from '../../../relay/node/host-port.js'

t.test('listen addresses parse as host:port with IPv6 in brackets', async (t) => {
  t.same(parseHostPort('127.0.0.1:3478'), { host: '127.0.0.1', port: 3478, family: 4 })
  t.same(parseHostPort('[::1]:3478'), { host: '::1', port: 3478, family: 6 })
  t.same(parseHostPort('[::1]', 9), { host: '::1', port: 9, family: 6 })
  t.equal(formatHostPort({ host: '::1', port: 1 }), '[::1]:1')
})

t.test('names, bad ports and unbracketed IPv6 are refused with the offending text', async (t) => {
  for (const bad of ['localhost:3478', '127.0.0.1:99999', '::1:3478', '127.0.0.1', '', '[::1]:x', '[127.0.0.1]:3478', '[fe80::1%eth0]:3478', '010.0.0.1:3478']) {
    t.throws(() => parseHostPort(bad), { code: 'ERR_RELAY_SETUP', message: new RegExp(bad.replace(/[[\]]/g, '\\$&').replace(/\./g, '\\.')) }, bad)
  }
})
