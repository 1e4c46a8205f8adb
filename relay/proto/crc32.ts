/** CRC-32 (ISO-HDLC, as in zlib) for FINGERPRINT (RFC 8489 §14.7). Node ≥ 20.15 has it in zlib. */
import * as zlib from 'node:zlib'
import { FINGERPRINT_XOR } from './constants.js'

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32

let table: Uint32Array | undefined
function slowCrc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

export function crc32(data: Uint8Array): number {
  return native ? native(data) >>> 0 : slowCrc32(data)
}

/** The FINGERPRINT value of the bytes preceding the attribute. */
export function fingerprintOf(precedingBytes: Uint8Array): number {
  return (crc32(precedingBytes) ^ FINGERPRINT_XOR) >>> 0
}
