import t from 'tap'
import { TRANSPORT_TCP, TRANSPORT_UDP } from '../../../relay/proto/constants.js'
import { decodeRequestedTransport, encodeRequestedTransport } from '../../../relay/proto/requested-transport.js'

t.test('the requested transport is the protocol number followed by three reserved bytes', async (t) => {
  t.equal(encodeRequestedTransport(TRANSPORT_UDP).toString('hex'), '11000000')
  t.equal(decodeRequestedTransport(encodeRequestedTransport(TRANSPORT_TCP)), 6)
  t.equal(decodeRequestedTransport(Buffer.from('11ffffff', 'hex')), 17, 'reserved bits are ignored')
  t.throws(() => decodeRequestedTransport(Buffer.from('11', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})
