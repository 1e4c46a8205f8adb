/** `sovereign` failures print one actionable line, not a stack trace. */
import t from 'tap'

import { describeFailure } from '../../cli/failure.js'
import { RelayError } from '../../relay/errors.js'

t.test('a coded error prints its message and code on one line', async (t) => {
  const err = new RelayError('ERR_TLS_FILE', 'cannot read the TLS key /etc/tls/relay.key: ENOENT', { cause: Object.assign(new Error('no such file'), { code: 'ENOENT' }) })
  t.equal(describeFailure(err, false), 'sovereign: cannot read the TLS key /etc/tls/relay.key: ENOENT [ERR_TLS_FILE]', 'a code already in the message is not repeated')
})

t.test('a system error names its code', async (t) => {
  const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3478'), { code: 'EADDRINUSE' })
  t.equal(describeFailure(err, false), 'sovereign: listen EADDRINUSE: address already in use 127.0.0.1:3478')
  const ossl = Object.assign(new Error('error:0480006C:PEM routines::no start line'), { code: 'ERR_OSSL_PEM_NO_START_LINE' })
  t.equal(describeFailure(ossl, false), 'sovereign: error:0480006C:PEM routines::no start line [ERR_OSSL_PEM_NO_START_LINE]')
})

t.test('the stack is there only when asked for (SOVEREIGN_DEBUG=1)', async (t) => {
  const err = new RangeError('public address "relay.example.com" is not an IP address')
  t.equal(describeFailure(err, false).split('\n').length, 1)
  t.match(describeFailure(err, true), /^sovereign: public address .*\nRangeError: public address/)
  t.equal(describeFailure('plain text', false), 'sovereign: plain text')
})
