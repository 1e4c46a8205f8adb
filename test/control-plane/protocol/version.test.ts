import t from 'tap'

import { decodeServerMessage } from '../../../control-plane/protocol/codec.js'
import { signalingUrl } from '../../../control-plane/protocol/version.js'

t.test('the signaling URL of a control plane swaps http for ws and appends the signal path', async (t) => {
  t.equal(signalingUrl('http://127.0.0.2:8080'), 'ws://127.0.0.2:8080/v1/signal')
  t.equal(signalingUrl('https://eu.example.net/'), 'wss://eu.example.net/v1/signal')
  t.equal(signalingUrl('https://example.net/sovereign/?x=1'), 'wss://example.net/sovereign/v1/signal')
  t.equal(signalingUrl('http://[::1]:9000'), 'ws://[::1]:9000/v1/signal')
  t.throws(() => signalingUrl('ftp://x'), TypeError)
})

t.test('a redirect built from a control-plane URL passes the protocol schema', async (t) => {
  const frame = JSON.stringify({ type: 'redirect', url: signalingUrl('http://127.0.0.3:8080'), region: 'us-east' })
  t.equal(decodeServerMessage(frame).ok, true)
})
