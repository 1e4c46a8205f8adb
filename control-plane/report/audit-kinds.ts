/**
 * How the residency report reads the audit stream (state/audit.ts `AuditEvent`): the
 * vocabulary of `kind`s and which part of a meeting each one is evidence about. Writers
 * (control plane, relays) use these names; an unknown kind is still counted and its
 * refusals still listed, it just proves nothing about media, signaling or keys.
 */
export const RELAY_KINDS = ['allocation', 'peer', 'permission', 'channel-bind', 'refresh', 'relay-revocation'] as const
/**
 * Relay kinds whose *allowed* decision means the relay took on the meeting's media (an
 * allocation, a permission or channel towards a peer, a refresh). A relay with none of
 * these only refused or revoked: it carried nothing, and shows only under refusals.
 */
export const CARRIER_KINDS = ['allocation', 'peer', 'permission', 'channel-bind', 'refresh'] as const
export const MEDIA_ISSUANCE_KINDS = ['relay-issued'] as const
export const KEY_KINDS = ['key-generated', 'key-delivery', 'key-rotation'] as const
export const SIGNALING_KINDS = [
  'meeting-created', 'allowed-regions', 'settings', 'admission', 'waiting', 'signal', 'host-command', 'capability', 'leave',
  'removal', 'lock', 'unlock', 'meeting-ended', 'refusal', 'relay-failover',
] as const
/**
 * A control-plane node moved a participant off a relay that died or drains (issue 12):
 * `relayId` the relay it left, `reason` relay_lost | relay_draining, `detail` where it went.
 * A decision of the home region's signaling, listed in the report's `media.failovers`.
 */
export const FAILOVER_KIND = 'relay-failover'
/** A node of another region answered with a redirect: evidence that it did not serve the meeting. */
export const REDIRECT_KIND = 'redirect'

export type Evidence = 'media' | 'media-issuance' | 'signaling' | 'keys' | 'redirect' | 'other'

const has = (list: readonly string[], kind: string) => list.includes(kind)

export function evidenceOf(kind: string): Evidence {
  if (has(RELAY_KINDS, kind)) return 'media'
  if (has(MEDIA_ISSUANCE_KINDS, kind)) return 'media-issuance'
  if (has(KEY_KINDS, kind)) return 'keys'
  if (kind === REDIRECT_KIND) return 'redirect'
  if (has(SIGNALING_KINDS, kind)) return 'signaling'
  return 'other'
}

/** An allowed decision that makes its relay a carrier of the meeting's media. */
export function carriesMedia(e: { readonly kind: string; readonly allow: boolean }): boolean {
  return e.allow && has(CARRIER_KINDS, e.kind)
}

/** Relays write relay kinds; everything else comes from a control-plane node. */
export function actorKindOf(kind: string): 'relay' | 'control-plane' {
  return has(RELAY_KINDS, kind) ? 'relay' : 'control-plane'
}
