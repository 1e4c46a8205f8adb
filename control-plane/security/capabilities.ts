/**
 * Who may do what inside a meeting: pure functions over plain state.
 *
 * A participant's capabilities come from three layers, later ones winning:
 *   1. meeting defaults: screen share for hosts and co-hosts, for everyone when
 *      `hostOnlyScreenShare` is off; file transfer for everyone when `fileTransfer` is
 *      on, else for no one; recording per `recording` ('host' = hosts and co-hosts);
 *   2. grants: capabilities in the participant's token (the tenant's backend decided) and
 *      host `grant` commands;
 *   3. host `revoke` commands (a revoke removes even a default).
 * `recording: 'off'` is the tenant's compliance setting and beats every grant.
 * The host's own capabilities cannot be revoked (a co-host may not act on the host).
 */
import type { MeetingSecuritySettings } from '../../config/schema.js'
import { CAPABILITIES, type CapabilityName, type RoleName } from '../protocol/common.js'
import type { ErrorCode } from '../protocol/error-codes.js'
import type { HostCommandName, RequestName } from '../protocol/client-messages.js'
import { isHostRole } from './admission.js'

export type CapabilitySettings = Pick<MeetingSecuritySettings, 'hostOnlyScreenShare' | 'fileTransfer' | 'recording'>

export interface CapabilityHolder {
  readonly role: RoleName
  /** From the token plus host grants. */
  readonly granted: ReadonlySet<CapabilityName>
  /** Host revokes; a later grant removes the capability from here (see applyGrant). */
  readonly revoked: ReadonlySet<CapabilityName>
}

export type RuleDecision = { readonly allow: true } | { readonly allow: false; readonly code: ErrorCode }
const ALLOW: RuleDecision = { allow: true }
const refuse = (code: ErrorCode): RuleDecision => ({ allow: false, code })

function byDefault(capability: CapabilityName, role: RoleName, settings: CapabilitySettings): boolean {
  switch (capability) {
    case 'screenShare': return isHostRole(role) || !settings.hostOnlyScreenShare
    case 'fileTransfer': return settings.fileTransfer
    case 'recording': return settings.recording === 'everyone' || (settings.recording === 'host' && isHostRole(role))
  }
}

export function hasCapability(holder: CapabilityHolder, capability: CapabilityName, settings: CapabilitySettings): boolean {
  if (capability === 'recording' && settings.recording === 'off') return false
  if (holder.role !== 'host' && holder.revoked.has(capability)) return false
  return holder.granted.has(capability) || byDefault(capability, holder.role, settings)
}

/** The capability list a welcome or capability-changed message carries, in protocol order. */
export function capabilitiesOf(holder: CapabilityHolder, settings: CapabilitySettings): CapabilityName[] {
  return CAPABILITIES.filter((c) => hasCapability(holder, c, settings))
}

const REQUEST_CAPABILITY: Record<RequestName, { capability: CapabilityName; refused: ErrorCode }> = {
  startScreenShare: { capability: 'screenShare', refused: 'SR_SCREEN_SHARE_NOT_ALLOWED' },
  openFileTransfer: { capability: 'fileTransfer', refused: 'SR_FILE_TRANSFER_NOT_ALLOWED' },
  startRecording: { capability: 'recording', refused: 'SR_RECORDING_NOT_ALLOWED' },
}

/** A participant's request to start sharing, transferring or recording. */
export function decideRequest(holder: CapabilityHolder, request: RequestName, settings: CapabilitySettings): RuleDecision {
  const { capability, refused } = REQUEST_CAPABILITY[request]
  if (capability === 'recording' && settings.recording === 'off') return refuse('SR_RECORDING_OFF')
  return hasCapability(holder, capability, settings) ? ALLOW : refuse(refused)
}

export interface HostCommandTarget {
  readonly role: RoleName
  /** Admitted, waiting, or not in the meeting at all. */
  readonly state: 'admitted' | 'waiting' | 'absent'
}

/**
 * Host commands. Hosts and co-hosts may admit, deny, remove, lock, unlock, grant and
 * revoke; only the host may end the meeting for everyone; nobody acts on the host but the
 * host; a participant cannot remove itself (it leaves instead).
 */
export function decideHostCommand(
  actor: { readonly role: RoleName; readonly participantId: string },
  command: HostCommandName,
  target?: HostCommandTarget & { readonly participantId: string },
  capability?: CapabilityName,
  settings?: CapabilitySettings,
): RuleDecision {
  if (!isHostRole(actor.role)) return refuse('SR_NOT_HOST')
  if (command === 'end') return actor.role === 'host' ? ALLOW : refuse('SR_HOST_ONLY')
  if (command === 'lock' || command === 'unlock') return ALLOW
  if (target === undefined || target.state === 'absent') return refuse('SR_UNKNOWN_PARTICIPANT')
  if (target.role === 'host' && actor.role !== 'host') return refuse('SR_CANNOT_ACT_ON_HOST')
  switch (command) {
    case 'admit':
    case 'deny':
      return target.state === 'waiting' ? ALLOW : refuse('SR_NOT_WAITING')
    case 'remove':
      return target.participantId === actor.participantId ? refuse('SR_TARGET_IS_SELF') : ALLOW
    case 'grant':
    case 'revoke':
      if (target.state !== 'admitted') return refuse('SR_UNKNOWN_PARTICIPANT')
      if (command === 'grant' && capability === 'recording' && settings?.recording === 'off') return refuse('SR_RECORDING_OFF')
      return ALLOW
  }
}

/** State after a grant or revoke: the two sets stay disjoint, the latest command wins. */
export function applyGrant(holder: CapabilityHolder, capability: CapabilityName, grant: boolean): CapabilityHolder {
  const granted = new Set(holder.granted)
  const revoked = new Set(holder.revoked)
  if (grant) { granted.add(capability); revoked.delete(capability) } else { revoked.add(capability); granted.delete(capability) }
  return { role: holder.role, granted, revoked }
}
