/** `sovereign relay --tls-listen/--tls-cert/--tls-key`: all three or none. */
import t from 'tap'

import { tlsFiles } from '../../../cli/commands/relay.js'

t.test('without any TLS flag there is no TLS listener', async (t) => {
  t.equal(tlsFiles({ tlsListen: [] }), undefined)
})

t.test('all three TLS flags make a TLS listener with its certificate files', async (t) => {
  t.same(tlsFiles({ tlsListen: ['0.0.0.0:5349'], tlsCert: '/etc/tls/relay.pem', tlsKey: '/etc/tls/relay.key' }), { listen: ['0.0.0.0:5349'], cert: '/etc/tls/relay.pem', key: '/etc/tls/relay.key' })
})

t.test('any TLS flag without the others is refused with what is missing', async (t) => {
  t.throws(() => tlsFiles({ tlsListen: ['0.0.0.0:5349'] }), { code: 'ERR_CLI_OPTION', message: /needs all of --tls-listen <host:port>, --tls-cert <file> and --tls-key <file>/ })
  t.throws(() => tlsFiles({ tlsListen: [], tlsCert: '/etc/tls/relay.pem', tlsKey: '/etc/tls/relay.key' }), /needs all of/)
  t.throws(() => tlsFiles({ tlsListen: ['0.0.0.0:5349'], tlsCert: '/etc/tls/relay.pem' }), /needs all of/)
})
