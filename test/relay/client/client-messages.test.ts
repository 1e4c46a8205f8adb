import t from 'tap'
import { randomBytes } from 'node:crypto'

import { channelFrame, encodeRequest, encodeSendIndication, reXor } from '../../../relay/client/client-messages.js'
import {
  Attr,
  CHANNEL_DATA_HEADER_LENGTH,
  MessageClass,
  Method,
  decodeChannelData,
  decodeMessage,
  decodeXorAddress,
  encodeXorAddress,
  getAttribute,
  hasFingerprint,
  hasMessageIntegrity,
  longTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '../../../relay/proto/index.js'

const peer = { family: 6 as const, address: '::1', port: 4000 }

t.test('an unauthenticated request carries only its attributes and a FINGERPRINT', async (t) => {
  const txn = randomBytes(12)
  const m = decodeMessage(encodeRequest(Method.Allocate, [], txn))
  t.equal(m.cls, MessageClass.Request)
  t.ok(m.transactionId.equals(txn))
  t.notOk(getAttribute(m, Attr.Username))
  t.notOk(hasMessageIntegrity(m))
  t.ok(hasFingerprint(m) && verifyFingerprint(m))
})

t.test('an authenticated request carries USERNAME, REALM, NONCE and a MESSAGE-INTEGRITY made with the key', async (t) => {
  const key = longTermKey('alice', 'example.org', 'pw')
  const m = decodeMessage(encodeRequest(Method.Refresh, [], randomBytes(12), { username: 'alice', realm: 'example.org', nonce: 'n1', key }))
  t.same([Attr.Username, Attr.Realm, Attr.Nonce].map((a) => getAttribute(m, a)?.value.toString()), ['alice', 'example.org', 'n1'])
  t.ok(verifyMessageIntegrity(m, key))
  t.notOk(verifyMessageIntegrity(m, longTermKey('alice', 'example.org', 'other')))
})

t.test('a Send indication XORs the peer with its own transaction id', async (t) => {
  const m = decodeMessage(encodeSendIndication(peer, Buffer.from('x')))
  t.equal(m.cls, MessageClass.Indication)
  t.equal(m.method, Method.Send)
  t.same(decodeXorAddress(getAttribute(m, Attr.XorPeerAddress)!.value, m.transactionId), peer)
  t.equal(getAttribute(m, Attr.Data)!.value.toString(), 'x')
})

t.test('a retry re-encodes XOR-PEER-ADDRESS for the new transaction id (IPv6 depends on it)', async (t) => {
  const a = randomBytes(12)
  const b = randomBytes(12)
  const [moved] = reXor([{ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, a) }], a, b)
  t.same(decodeXorAddress(moved!.value, b), peer)
})

t.test('a channel frame has room for the payload after the header, unpadded', async (t) => {
  const f = channelFrame(0x4000, 5)
  t.equal(f.length, CHANNEL_DATA_HEADER_LENGTH + 5)
  t.equal(decodeChannelData(f).channel, 0x4000)
})
