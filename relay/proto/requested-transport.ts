/**
 * REQUESTED-TRANSPORT (RFC 8656 §18.7): an IANA protocol number then 3 RFFU bytes.
 * The relay only relays UDP (17); anything else is answered 442 by the server.
 */
import { StunDecodeError } from '../errors.js'

export function encodeRequestedTransport(protocol: number): Buffer {
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new RangeError(`bad protocol: ${protocol}`)
  const out = Buffer.alloc(4)
  out[0] = protocol
  return out
}

export function decodeRequestedTransport(value: Buffer): number {
  if (value.length !== 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `REQUESTED-TRANSPORT of ${value.length} bytes`)
  return value[0]!
}
