/**
 * EVEN-PORT (RFC 8656 §18.6): one byte whose top bit R asks the server to reserve the next
 * port too, and RESERVATION-TOKEN (§18.9): an 8-byte token naming that reservation.
 */
import { StunDecodeError } from '../errors.js'

export function encodeEvenPort(reserveNext: boolean): Buffer {
  // RFC 8656 §18.6: the value is one byte; the attribute is padded to 4 by the encoder.
  return Buffer.from([reserveNext ? 0x80 : 0x00])
}

export function decodeEvenPort(value: Buffer): { reserveNext: boolean } {
  if (value.length !== 1 && value.length !== 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `EVEN-PORT of ${value.length} bytes`)
  return { reserveNext: (value[0]! & 0x80) !== 0 }
}

export function encodeReservationToken(token: Buffer): Buffer {
  if (token.length !== 8) throw new RangeError(`RESERVATION-TOKEN must be 8 bytes, got ${token.length}`)
  return Buffer.from(token)
}

export function decodeReservationToken(value: Buffer): Buffer {
  if (value.length !== 8) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `RESERVATION-TOKEN of ${value.length} bytes`)
  return value
}
