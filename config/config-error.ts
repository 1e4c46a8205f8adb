/**
 * The one error the config loader throws. It carries every problem found, each with the
 * path of the bad field (`tenants[1].allowedRegions[0]`) and, when the text came from a
 * file, the line and column, so an operator can fix a file in one pass.
 *
 * Messages never contain secret values: rules that look at secrets name the field or the
 * environment variable, not what it holds.
 */
import { CodedError } from '../geo/coded-error.js'

export type ConfigErrorCode =
  /** The file could not be read. */
  | 'CONFIG_UNREADABLE'
  /** The text is not well-formed YAML. */
  | 'CONFIG_SYNTAX'
  /** Well-formed, but the schema, a secret reference or a cross-field rule refuses it. */
  | 'CONFIG_INVALID'

/** Stable machine-readable names of the checks, so tests and tooling need not parse messages. */
export type ConfigRule =
  | 'io'
  | 'yaml'
  | 'schema'
  | 'unknown_key'
  | 'env_missing'
  | 'env_empty'
  | 'secret_too_short'
  | 'duplicate_id'
  | 'duplicate_api_key'
  | 'country_unknown'
  | 'duplicate_country'
  | 'region_unknown'
  | 'duplicate_region'
  | 'default_region_not_allowed'
  | 'jurisdiction_unknown'
  | 'jurisdiction_reserved'
  | 'residency_mode'
  | 'attendee_policy'
  | 'cidr_invalid'
  | 'cidr_overlap'
  | 'port_range'
  | 'address_invalid'
  | 'listen_duplicate'
  | 'url_invalid'
  | 'url_duplicate'
  | 'redis_url_invalid'

export interface ConfigIssue {
  /** Field path in the config, e.g. `tenants[1].allowedRegions[0]`; empty for the whole document. */
  readonly path: string
  readonly rule: ConfigRule
  readonly message: string
  /** 1-based position in the source text, when known. */
  readonly line?: number
  readonly column?: number
}

export class ConfigError extends CodedError<ConfigErrorCode> {
  readonly source: string
  readonly issues: readonly ConfigIssue[]

  constructor(code: ConfigErrorCode, source: string, issues: readonly ConfigIssue[]) {
    super(code, `${source}: ${summary(code, issues.length)}\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`)
    this.source = source
    this.issues = Object.freeze([...issues])
  }
}

/** `tenants[1].allowedRegions[0] (line 42:9): region "mars" does not exist` */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? '' : ` (line ${issue.line}${issue.column === undefined ? '' : `:${issue.column}`})`
  const path = issue.path === '' ? '(document)' : issue.path
  return `${path}${where}: ${issue.message}`
}

function summary(code: ConfigErrorCode, count: number): string {
  const what = code === 'CONFIG_UNREADABLE' ? 'cannot be read' : code === 'CONFIG_SYNTAX' ? 'is not valid YAML' : 'is not a valid network config'
  return `${what} (${count} ${count === 1 ? 'error' : 'errors'})`
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError
}
