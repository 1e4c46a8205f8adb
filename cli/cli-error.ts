/**
 * What a `sovereign` command refuses before it starts anything: flags that do not fit
 * together or hold a bad value, a missing environment variable, an unknown tenant.
 * Printed by cli/failure.ts as one line with the code.
 */
import { CodedError } from '../geo/coded-error.js'

export type CliErrorCode =
  | 'ERR_CLI_OPTION' // a flag's value is invalid, or flags that belong together are not all given
  | 'ERR_CLI_ENV_MISSING' // an environment variable the command was told to read is not set
  | 'ERR_CLI_TENANT_UNKNOWN' // the tenant is not in the config

export class CliError extends CodedError<CliErrorCode> {}
