/**
 * What a reload changed, named the way an operator reads it: `regions.eu-central`,
 * `tenants.acme`, `geo`, `relay`. Lets a process log a reload usefully and decide what
 * to rebuild (a relay re-reads its region's secrets when `regions.<its region>` changed).
 * Secret values count as changes (that is how rotation arrives) but are never shown.
 */
import type { NetworkConfigData } from './network-config.js'

const KEYED_SECTIONS = ['regions', 'tenants', 'jurisdictions'] as const

export function changedSections(previous: NetworkConfigData, next: NetworkConfigData): string[] {
  const changed: string[] = []
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)])
  for (const key of keys) {
    if (key === 'source' || key === 'unsetEnv') continue
    const before = (previous as unknown as Record<string, unknown>)[key]
    const after = (next as unknown as Record<string, unknown>)[key]
    if (typeof before === 'function' || typeof after === 'function') continue
    if ((KEYED_SECTIONS as readonly string[]).includes(key)) {
      changed.push(...changedById(key, before as readonly { id: string }[], after as readonly { id: string }[]))
    } else if (canonical(before) !== canonical(after)) {
      changed.push(key)
    }
  }
  return changed
}

function changedById(section: string, before: readonly { id: string }[], after: readonly { id: string }[]): string[] {
  const old = new Map(before.map((item) => [item.id, canonical(item)]))
  const now = new Map(after.map((item) => [item.id, canonical(item)]))
  const ids = [...new Set([...old.keys(), ...now.keys()])]
  const changed = ids.filter((id) => old.get(id) !== now.get(id)).map((id) => `${section}.${id}`)
  const order = (items: readonly { id: string }[]): string => items.map((item) => item.id).join('\n')
  // Reordering alone matters too: the first relay secret signs, region order is display order.
  if (changed.length === 0 && order(before) !== order(after)) changed.push(section)
  return changed
}

/** JSON with sorted keys, so the order keys were written in does not count as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v)
}
