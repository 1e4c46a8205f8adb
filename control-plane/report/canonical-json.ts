/**
 * JSON Canonicalization Scheme (RFC 8785), small enough to read: object members sorted by
 * the UTF-16 code units of their names (§3.2.3, which is what Array#sort does on
 * strings), numbers in ECMAScript Number-to-String form (§3.2.2.3, which is what
 * JSON.stringify does for finite numbers), strings escaped as JSON.stringify does
 * (§3.2.2.2: only ", \ and control characters), no whitespace.
 *
 * Members whose value is `undefined` are omitted, as JSON.stringify does, so signing the
 * in-memory object and verifying the parsed text agree. Non-finite numbers, bigints,
 * functions and symbols are refused: they have no JSON form to sign.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value)
    case 'boolean': return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite numbers have no canonical JSON form')
      return JSON.stringify(value)
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
      const entries = Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      return `{${entries.join(',')}}`
    }
    default: throw new TypeError(`${typeof value} has no JSON form`)
  }
}
