/**
 * ERROR-CODE (RFC 8489 §14.8): 21 reserved bits, class (hundreds, 3–6) in 3 bits, number
 * (0–99) in 8 bits, then a UTF-8 reason phrase of fewer than 128 characters (≤ 763 bytes).
 */
import { StunDecodeError } from '../errors.js'
import { STUN_ERROR_REASON, type StunErrorCode } from './constants.js'
import { decodeUtf8Limited } from './text-attributes.js'

export interface ErrorCodeValue {
  code: number
  reason: string
}

const MAX_REASON_CHARS = 127
const MAX_REASON_BYTES = 763

export function encodeErrorCode(code: number, reason?: string): Buffer {
  if (!Number.isInteger(code) || code < 300 || code > 699) throw new RangeError(`STUN error code out of range: ${code}`)
  const text = reason ?? STUN_ERROR_REASON[code as StunErrorCode] ?? ''
  let phrase = Buffer.from(text, 'utf8')
  if ([...text].length > MAX_REASON_CHARS || phrase.length > MAX_REASON_BYTES) {
    phrase = Buffer.from([...text].slice(0, MAX_REASON_CHARS).join(''), 'utf8').subarray(0, MAX_REASON_BYTES)
  }
  const out = Buffer.alloc(4 + phrase.length)
  out[2] = Math.floor(code / 100)
  out[3] = code % 100
  phrase.copy(out, 4)
  return out
}

export function decodeErrorCode(value: Buffer): ErrorCodeValue {
  if (value.length < 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `ERROR-CODE of ${value.length} bytes`)
  const cls = value[2]! & 0x07
  const number = value[3]!
  if (cls < 3 || cls > 6 || number > 99) {
    throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `ERROR-CODE class ${cls} number ${number} out of range`)
  }
  return { code: cls * 100 + number, reason: decodeUtf8Limited(value.subarray(4), MAX_REASON_CHARS, MAX_REASON_BYTES, 'ERROR-CODE reason') }
}
