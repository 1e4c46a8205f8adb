import t from 'tap'
import fc from 'fast-check'

import { fromBase64Url, toBase64Url } from '../../../control-plane/keys/base64url.js'

t.test('base64url agrees with Node for any bytes and round-trips', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
    const text = toBase64Url(bytes)
    return text === Buffer.from(bytes).toString('base64url') && Buffer.from(fromBase64Url(text)).equals(Buffer.from(bytes))
  }))
  t.pass('property held')
})

t.test('invalid base64url is refused', async (t) => {
  t.throws(() => fromBase64Url('ab+c'), TypeError)
  t.throws(() => fromBase64Url('abcde'), TypeError)
})
