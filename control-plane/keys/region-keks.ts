/**
 * The region's key-encryption keys for managed key mode, from the network config
 * (`regions[].mediaKeks`, newest first: the first seals, any opens). Each operator secret
 * is stretched to a 32-byte AES key bound to the region (HKDF, at-rest.ts), so one secret
 * reused by mistake in two regions still gives two different KEKs.
 *
 * Derived once per loaded list: a SIGHUP reload with a new list derives again, an
 * unchanged config costs a WeakMap lookup.
 */
import type { Region } from '../../config/network-config.js'
import { deriveRegionKek, type RegionKek } from './at-rest.js'

const derived = new WeakMap<object, readonly RegionKek[]>()

export function regionKeks(region: Pick<Region, 'id' | 'mediaKeks'>): readonly RegionKek[] {
  const list = region.mediaKeks
  let keks = derived.get(list)
  if (!keks) {
    keks = Object.freeze(list.map((kek) => deriveRegionKek(kek.id, kek.value, region.id)))
    derived.set(list, keks)
  }
  return keks
}

/**
 * Deprecated: the KEK from SOVEREIGN_MEDIA_KEK (id SOVEREIGN_MEDIA_KEK_ID, default kek-1),
 * the only source before the config had `mediaKeks`. Used only when the config lists none.
 */
export function environmentKeks(env: Readonly<Record<string, string | undefined>>, regionId: string): readonly RegionKek[] {
  const secret = env['SOVEREIGN_MEDIA_KEK']
  return secret === undefined || secret === '' ? [] : [deriveRegionKek(env['SOVEREIGN_MEDIA_KEK_ID'] ?? 'kek-1', secret, regionId)]
}
