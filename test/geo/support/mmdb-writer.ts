/**
 * A tiny MaxMind DB writer for tests (MaxMind DB File Format Spec 2.0): lets tests build
 * GeoIP2-City-shaped, GeoIP2-Country-shaped or ip-location-db-shaped files with known
 * contents, and new versions of a file for hot-reload tests. Record size 24 only;
 * prefixes must not overlap.
 */
import { parseCidr } from '../../../geo/address/cidr.js'

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue }

export interface MmdbEntry {
  cidr: string
  record: { [key: string]: MmdbValue }
}

function control(type: number, size: number): Buffer {
  const head: number[] = []
  let sizeBits: number
  const extra: number[] = []
  if (size < 29) sizeBits = size
  else if (size < 285) {
    sizeBits = 29
    extra.push(size - 29)
  } else if (size < 65821) {
    sizeBits = 30
    const s = size - 285
    extra.push(s >> 8, s & 0xff)
  } else {
    sizeBits = 31
    const s = size - 65821
    extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff)
  }
  if (type <= 7) head.push((type << 5) | sizeBits)
  else head.push(sizeBits, type - 7)
  return Buffer.from([...head, ...extra])
}

function uintBytes(n: number | bigint): Buffer {
  let v = BigInt(n)
  const out: number[] = []
  while (v > 0n) {
    out.unshift(Number(v & 0xffn))
    v >>= 8n
  }
  return Buffer.from(out)
}

export function encode(value: MmdbValue | { uint: number; type: 5 | 6 | 9 }): Buffer {
  if (typeof value === 'string') {
    const b = Buffer.from(value, 'utf8')
    return Buffer.concat([control(2, b.length), b])
  }
  if (typeof value === 'number') {
    const b = Buffer.alloc(8)
    b.writeDoubleBE(value)
    return Buffer.concat([control(3, 8), b])
  }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0)
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map((v) => encode(v))])
  if ('uint' in value && 'type' in value && typeof value.uint === 'number' && typeof value.type === 'number') {
    const b = uintBytes(value.uint)
    return Buffer.concat([control(value.type, b.length), b])
  }
  const entries = Object.entries(value as Record<string, MmdbValue>)
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])])
}

interface Node {
  left: Node | number | null // number = data offset
  right: Node | number | null
}

export function writeMmdb(entries: MmdbEntry[], options: { ipVersion?: 4 | 6; databaseType?: string; buildEpoch?: number } = {}): Buffer {
  const ipVersion = options.ipVersion ?? 6
  const root: Node = { left: null, right: null }
  const data: Buffer[] = []
  let dataLength = 0
  for (const entry of entries) {
    const parsed = parseCidr(entry.cidr)
    if (!parsed.ok) throw new Error(parsed.reason)
    const cidr = parsed.cidr
    let bits: number[] = []
    for (let i = 0; i < cidr.prefix; i++) bits.push((cidr.bytes[i >> 3]! >> (7 - (i & 7))) & 1)
    if (cidr.family === 4 && ipVersion === 6) bits = [...new Array<number>(96).fill(0), ...bits]
    if (cidr.family === 6 && ipVersion === 4) throw new Error('IPv6 entry in an IPv4 database')
    if (bits.length === 0) throw new Error('prefix length 0 not supported')
    const encoded = encode(entry.record)
    const offset = dataLength
    data.push(encoded)
    dataLength += encoded.length
    let node = root
    for (let i = 0; i < bits.length - 1; i++) {
      const side = bits[i] ? 'right' : 'left'
      let next = node[side]
      if (next === null) {
        next = { left: null, right: null }
        node[side] = next
      }
      if (typeof next === 'number') throw new Error('overlapping prefixes')
      node = next
    }
    const last = bits[bits.length - 1] ? 'right' : 'left'
    if (node[last] !== null) throw new Error('overlapping prefixes')
    node[last] = offset
  }
  // number the nodes breadth-first
  const order: Node[] = []
  const index = new Map<Node, number>()
  const queue: Node[] = [root]
  while (queue.length > 0) {
    const n = queue.shift()!
    index.set(n, order.length)
    order.push(n)
    for (const c of [n.left, n.right]) if (c !== null && typeof c === 'object') queue.push(c)
  }
  const nodeCount = order.length
  const tree = Buffer.alloc(nodeCount * 6)
  const recordOf = (c: Node | number | null): number =>
    c === null ? nodeCount : typeof c === 'number' ? nodeCount + 16 + c : index.get(c)!
  order.forEach((n, i) => {
    tree.writeUIntBE(recordOf(n.left), i * 6, 3)
    tree.writeUIntBE(recordOf(n.right), i * 6 + 3, 3)
  })
  const metadata = encode({
    node_count: { uint: nodeCount, type: 6 },
    record_size: { uint: 24, type: 5 },
    ip_version: { uint: ipVersion, type: 5 },
    database_type: options.databaseType ?? 'Test-DB',
    languages: ['en'],
    binary_format_major_version: { uint: 2, type: 5 },
    binary_format_minor_version: { uint: 0, type: 5 },
    build_epoch: { uint: options.buildEpoch ?? 1_700_000_000, type: 9 },
    description: { en: 'test database' },
  } as unknown as MmdbValue)
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from('ABCDEF4D61784D696E642E636F6D', 'hex'),
    metadata,
  ])
}
