/**
 * Meeting settings at creation and on update: what the tenant asked for, else the
 * tenant's security defaults from the config, else the built-in defaults of the schema
 * (config/schema.ts fills a tenant's `security` with them at load, so a loaded tenant
 * always carries every field). Pure.
 *
 * The passcode is generated when the meeting requires one and none was given; giving one
 * turns the requirement on.
 */
import type { Tenant } from '../../config/network-config.js'
import type { AttendeePolicyConfig, KeyModeName, MeetingSecuritySettings, ResidencyModeName } from '../../config/schema.js'
import { generatePasscode } from '../security/passcode.js'

export type SecurityInput = Partial<MeetingSecuritySettings>

export interface SettingsInput extends SecurityInput {
  readonly passcode?: string
}

export interface ResolvedSettings {
  readonly settings: MeetingSecuritySettings
  readonly passcode?: string
}

export function resolveSettings(tenant: Tenant, input: SettingsInput, generate: () => string = generatePasscode): ResolvedSettings {
  const { passcode: given, ...security } = input
  const settings: MeetingSecuritySettings = { ...tenant.security, ...definedOnly(security) }
  if (given !== undefined) return { settings: { ...settings, passcodeRequired: true }, passcode: given }
  return settings.passcodeRequired ? { settings, passcode: generate() } : { settings }
}

/**
 * Settings after a PATCH: unspecified fields keep their value. Turning the passcode
 * requirement on without a passcode generates one; turning it off keeps none.
 */
export function updateSettings(current: MeetingSecuritySettings, currentPasscode: string | undefined, input: SettingsInput, generate: () => string = generatePasscode): ResolvedSettings {
  const { passcode: given, ...security } = input
  const settings: MeetingSecuritySettings = { ...current, ...definedOnly(security) }
  if (given !== undefined) return { settings: { ...settings, passcodeRequired: true }, passcode: given }
  if (!settings.passcodeRequired) return { settings }
  return { settings, passcode: currentPasscode ?? generate() }
}

export function resolveResidencyMode(tenant: Tenant, requested: ResidencyModeName | undefined): ResidencyModeName {
  return requested ?? tenant.residencyMode
}

export function resolveAttendeePolicy(tenant: Tenant, requested: Partial<AttendeePolicyConfig> | undefined): AttendeePolicyConfig {
  return mergeAttendeePolicy(tenant.attendeePolicy, requested)
}

/**
 * A requested attendee policy over a base (the tenant's at create, the meeting's at
 * update): a new mode starts from an empty country list, and an allow-list denies the
 * unknown, unless the request says otherwise.
 */
export function mergeAttendeePolicy(base: AttendeePolicyConfig, requested: Partial<AttendeePolicyConfig> | undefined): AttendeePolicyConfig {
  if (requested === undefined) return { mode: base.mode, countries: [...base.countries], unknown: base.unknown }
  const mode = requested.mode ?? base.mode
  return {
    mode,
    countries: [...(requested.countries ?? (mode === base.mode ? base.countries : []))],
    unknown: requested.unknown ?? (mode === 'allow' ? 'deny' : base.unknown),
  }
}

export type { KeyModeName }

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
