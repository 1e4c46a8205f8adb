import t from 'tap'
import { randomBytes } from 'node:crypto'

import { classifyInbound } from '../../../relay/client/inbound.js'
import { encodeSendIndication } from '../../../relay/client/client-messages.js'
import { Attr, MessageClass, Method, encodeChannelData, encodeMessage, encodeXorAddress } from '../../../relay/proto/index.js'

const peer = { family: 4 as const, address: '127.0.0.2', port: 4000 }

t.test('ChannelData is handed on as the frame with its channel, payload after the header', async (t) => {
  const frame = encodeChannelData(0x4001, Buffer.from('hi'), { pad: false })
  const got = classifyInbound(frame)
  t.same(got.kind === 'channel-data' && { channel: got.channel, payload: got.frame.subarray(4).toString() }, { channel: 0x4001, payload: 'hi' })
})

t.test('a Data indication yields its peer and data', async (t) => {
  const txn = randomBytes(12)
  const data = encodeMessage({ method: Method.Data, cls: MessageClass.Indication, transactionId: txn, attributes: [
    { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, txn) },
    { type: Attr.Data, value: Buffer.from('yo') },
  ] })
  const got = classifyInbound(data)
  t.same(got.kind === 'data-indication' && { peer: got.peer, data: got.data.toString() }, { peer, data: 'yo' })
})

t.test('a response is matched later by its transaction id', async (t) => {
  const txn = randomBytes(12)
  const got = classifyInbound(encodeMessage({ method: Method.Allocate, cls: MessageClass.SuccessResponse, transactionId: txn, attributes: [] }))
  t.ok(got.kind === 'response' && got.message.transactionId.equals(txn))
})

t.test('garbage, requests, other indications and a Data indication without DATA are stray, never a throw', async (t) => {
  t.equal(classifyInbound(Buffer.from([0xff, 0, 1, 2, 3])).kind, 'stray', 'first bits neither 00 nor 01')
  t.equal(classifyInbound(Buffer.alloc(0)).kind, 'stray')
  const bad = encodeMessage({ method: Method.Allocate, cls: MessageClass.Request, transactionId: randomBytes(12), attributes: [] })
  t.equal(classifyInbound(bad).kind, 'stray', 'a request')
  t.equal(classifyInbound(encodeSendIndication(peer, Buffer.from('x'))).kind, 'stray', 'a Send indication')
  const txn = randomBytes(12)
  const noData = encodeMessage({ method: Method.Data, cls: MessageClass.Indication, transactionId: txn, attributes: [{ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, txn) }] })
  t.equal(classifyInbound(noData).kind, 'stray')
  // A well-formed header whose one attribute claims more bytes than the message holds.
  const broken = Buffer.concat([encodeMessage({ method: Method.Allocate, cls: MessageClass.SuccessResponse, transactionId: randomBytes(12), attributes: [] }), Buffer.from([0x00, 0x20, 0x00, 0x40, 0, 0, 0, 0])])
  broken.writeUInt16BE(8, 2)
  t.equal(classifyInbound(broken).kind, 'stray', 'a message that fails to decode')
})
