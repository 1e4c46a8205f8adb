/**
 * Every residency decision is a verdict with a machine-readable reason, so the audit
 * stream, the metrics and the error a client sees can all say why. Reasons are stable
 * snake_case codes; add new ones here, never inline. Only residency reasons live here:
 * the control plane's admission and in-meeting reasons (passcode, screen share, ...) are
 * its own (control-plane/security/admission-reasons.ts).
 */
export const REASONS = [
  // allowed
  'home_region',
  'in_jurisdiction',
  'tenant_allowed_region',
  'attendee_policy_open',
  'country_allowed',
  'country_not_blocked',
  'unknown_country_allowed',
  'peer_is_relay_of_meeting',
  'peer_is_admitted_endpoint',
  'peer_allowed_by_operator',
  'peer_public_address',
  'no_residency_policy',
  // failover (issue 12): why a participant was moved off a relay
  'relay_lost',
  'relay_draining',
  // denied
  'region_unknown',
  'region_not_allowed_for_tenant',
  'region_outside_allowed_set',
  'jurisdiction_not_allowed',
  'country_not_in_allow_list',
  'country_blocked',
  'country_unknown',
  'peer_denied_range',
  'peer_not_in_meeting',
  'peer_is_relay_service',
  'meeting_not_homed_here',
  'meeting_unknown',
  'meeting_ended',
  'participant_revoked',
  'no_capacity_in_allowed_regions',
  'policy_unavailable',
] as const

export type Reason = (typeof REASONS)[number]

export type Verdict =
  | { readonly allow: true; readonly reason: Reason; readonly detail?: string }
  | { readonly allow: false; readonly reason: Reason; readonly detail?: string }

export const allow = (reason: Reason, detail?: string): Verdict =>
  detail === undefined ? { allow: true, reason } : { allow: true, reason, detail }

export const deny = (reason: Reason, detail?: string): Verdict =>
  detail === undefined ? { allow: false, reason } : { allow: false, reason, detail }
