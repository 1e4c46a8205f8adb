/**
 * PASSWORD-ALGORITHM (RFC 8489 §14.12) and PASSWORD-ALGORITHMS (§14.11): a 16-bit
 * algorithm number, a 16-bit parameter length, then the parameters padded to 4; the
 * plural attribute is a list of such entries. MD5 (1) and SHA-256 (2) take no parameters.
 */
import { StunDecodeError } from '../errors.js'

export const PasswordAlgorithm = { MD5: 0x0001, SHA256: 0x0002 } as const

export interface PasswordAlgorithmValue {
  algorithm: number
  parameters: Buffer
}

const pad4 = (n: number): number => (n + 3) & ~3

function encodeEntry(a: PasswordAlgorithmValue, padded: boolean): Buffer {
  const params = a.parameters ?? Buffer.alloc(0)
  const out = Buffer.alloc(4 + (padded ? pad4(params.length) : params.length))
  out.writeUInt16BE(a.algorithm, 0)
  out.writeUInt16BE(params.length, 2)
  params.copy(out, 4)
  return out
}

export function encodePasswordAlgorithm(algorithm: number, parameters: Buffer = Buffer.alloc(0)): Buffer {
  return encodeEntry({ algorithm, parameters }, false)
}

export function decodePasswordAlgorithm(value: Buffer): PasswordAlgorithmValue {
  const [entry, end] = readEntry(value, 0, 'PASSWORD-ALGORITHM')
  if (pad4(end) !== pad4(value.length)) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', 'PASSWORD-ALGORITHM has trailing bytes')
  return entry
}

export function encodePasswordAlgorithms(list: readonly PasswordAlgorithmValue[]): Buffer {
  return Buffer.concat(list.map((a) => encodeEntry(a, true)))
}

export function decodePasswordAlgorithms(value: Buffer): PasswordAlgorithmValue[] {
  const list: PasswordAlgorithmValue[] = []
  let offset = 0
  while (offset < value.length) {
    const [entry, end] = readEntry(value, offset, 'PASSWORD-ALGORITHMS')
    list.push(entry)
    offset = pad4(end)
  }
  return list
}

function readEntry(value: Buffer, offset: number, what: string): [PasswordAlgorithmValue, number] {
  if (offset + 4 > value.length) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `${what} entry truncated`)
  const algorithm = value.readUInt16BE(offset)
  const length = value.readUInt16BE(offset + 2)
  const end = offset + 4 + length
  if (end > value.length) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `${what} parameters run past the attribute`)
  return [{ algorithm, parameters: value.subarray(offset + 4, end) }, end]
}
