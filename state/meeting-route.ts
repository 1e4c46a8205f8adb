/**
 * Where a request naming a meeting is served (guarantee 3): the one routing decision
 * the HTTP edge (control-plane/plugins/home-region.ts), signaling (the join's token) and
 * the meeting service share, so an unknown region cannot mean "redirect" in one and
 * "not found" in another.
 *
 *   not a meeting id                       → malformed (no such meeting; nothing to route)
 *   names this region                      → home (serve it here)
 *   names another region of the network    → redirect (to that region; never proxied)
 *   names a region the network does not have → unknown-region (no such meeting)
 *
 * Pure: the meeting id says its home region (state/meeting-id.ts); which regions exist
 * comes in as a function, so a reloaded config is seen by the next call.
 */
import { homeRegionOf } from './meeting-id.js'

export type MeetingRoute =
  | { readonly route: 'home'; readonly region: string }
  | { readonly route: 'redirect'; readonly region: string }
  | { readonly route: 'unknown-region'; readonly region: string }
  | { readonly route: 'malformed' }

export interface RoutingSelf {
  /** The region of the node asking. */
  readonly region: string
  /** Whether the network has a region of this id (the running config). */
  readonly knowsRegion: (regionId: string) => boolean
}

const MALFORMED: MeetingRoute = Object.freeze({ route: 'malformed' })

export function routeMeeting(meetingId: string, self: RoutingSelf): MeetingRoute {
  const home = homeRegionOf(meetingId)
  if (home === undefined) return MALFORMED
  if (home === self.region) return { route: 'home', region: home }
  return self.knowsRegion(home) ? { route: 'redirect', region: home } : { route: 'unknown-region', region: home }
}
