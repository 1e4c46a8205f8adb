import t from 'tap'
import { Attr } from '../../../relay/proto/constants.js'
import { decodeMessage, getAttribute } from '../../../relay/proto/message.js'
import { decodeUserhash, userhash } from '../../../relay/proto/userhash.js'
import { loadHex } from '../testdata/hex.js'

t.test('USERHASH matches the RFC 8489 B.1 sample request', async (t) => {
  const msg = decodeMessage(loadHex('rfc8489-long-term-sha256-request'))
  const onWire = decodeUserhash(getAttribute(msg, Attr.Userhash)!.value)
  t.same(userhash('\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9', 'example.org'), onWire)
})

t.test('a USERHASH that is not 32 bytes is refused', async (t) => {
  t.throws(() => decodeUserhash(Buffer.alloc(31)), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})
