import t from 'tap'
import { decodeEvenPort, decodeReservationToken, encodeEvenPort, encodeReservationToken } from '../../../relay/proto/even-port.js'

t.test('EVEN-PORT carries the reserve-next bit in its top bit', async (t) => {
  t.same(decodeEvenPort(encodeEvenPort(true)), { reserveNext: true })
  t.same(decodeEvenPort(encodeEvenPort(false)), { reserveNext: false })
  t.same(decodeEvenPort(Buffer.from('7f', 'hex')), { reserveNext: false })
  t.throws(() => decodeEvenPort(Buffer.alloc(0)), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})

t.test('RESERVATION-TOKEN is exactly eight bytes', async (t) => {
  const token = Buffer.from('0102030405060708', 'hex')
  t.same(decodeReservationToken(encodeReservationToken(token)), token)
  t.throws(() => decodeReservationToken(Buffer.alloc(7)), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => encodeReservationToken(Buffer.alloc(9)), RangeError)
})
