/**
 * Great-circle distance on a spherical Earth (haversine). Good to ~0.5 %, which is plenty
 * for ordering relays by proximity.
 */
import type { Coordinates } from './countries.js'

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088

const RAD = Math.PI / 180

export function distanceKm(a: Coordinates, b: Coordinates): number {
  const dLat = (b.lat - a.lat) * RAD
  const dLon = (b.lon - a.lon) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}
