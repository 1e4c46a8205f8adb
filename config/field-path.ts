/**
 * Field paths as operators read them: `tenants[1].allowedRegions[0]`, `geo.overrides[3].cidr`.
 * Internally a path is a list of keys and indices, which is also what the YAML document
 * needs to find the line of a node.
 */

export type FieldPath = readonly (string | number)[]

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

export function formatPath(path: FieldPath): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** TypeBox reports JSON pointers (`/tenants/1/allowedRegions/0`); array indices become numbers. */
export function fromJsonPointer(pointer: string, document: unknown): FieldPath {
  if (pointer === '') return []
  const path: (string | number)[] = []
  let node: unknown = document
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) {
      path.push(Number(key))
      node = node[Number(key)]
    } else {
      path.push(key)
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
    }
  }
  return path
}
