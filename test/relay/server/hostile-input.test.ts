import fc from 'fast-check'
import t from 'tap'

import { Attr, Method, decodeMessage, encodeChannelNumber, longTermKey, verifyMessageIntegrity } from '../../../relay/proto/index.js'
import { harness, transportUdp, udpTuple } from '../../support/server-harness.js'
import { peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 4)

t.test('arbitrary datagrams never make the server throw; they are dropped or answered', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  await h.ask(tuple, request(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: encodeChannelNumber(0x4000) }, peerAttr('198.51.100.7', 9, TXN)], cred, TXN))
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), async (bytes) => {
      const actions = await h.send(tuple, Buffer.from(bytes))
      return actions.every((a) => ['drop', 'send-client', 'send-peer'].includes(a.type))
    }),
    { numRuns: 2000 },
  )
  t.equal(h.server.table.size, 1, 'the allocation survived')
})

t.test('valid requests with bytes flipped at random never throw and allocate only when integrity still verifies', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  const key = longTermKey(cred.username, cred.realm, cred.password)
  const valid = request(Method.Allocate, [transportUdp()], cred, TXN)
  let allocatedWithIntactIntegrity = 0
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), async (flips) => {
      const b = Buffer.from(valid)
      for (const [at, x] of flips) b[at] = b[at]! ^ x
      await h.send(tuple, b)
      if (h.server.table.size === 0) return true
      // Only bytes after MESSAGE-INTEGRITY (a FINGERPRINT turned into an unknown
      // optional attribute) may change without breaking integrity (RFC 8489 §14.5).
      let intact = false
      try {
        intact = verifyMessageIntegrity(decodeMessage(b), key)
      } catch {
        intact = false
      }
      h.server.revoke({ meetingId: 'm1' })
      allocatedWithIntactIntegrity++
      return intact
    }),
    { numRuns: 1500 },
  )
  t.comment(`${allocatedWithIntactIntegrity} mutations kept integrity valid and were rightly served`)
})
