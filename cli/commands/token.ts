import { InvalidArgumentError, Option, type Command } from 'commander'

import { loadConfig } from '../../config/load-config.js'
import { CAPABILITIES, ROLES, type CapabilityName, type RoleName } from '../../control-plane/protocol/common.js'
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, mintParticipantToken } from '../../control-plane/tokens/participant-token.js'
import { isMeetingId } from '../../state/meeting-id.js'
import { CliError } from '../cli-error.js'

interface MintFlags {
  tenant: string
  secretEnv?: string
  config?: string
  meeting: string
  identity: string
  name?: string
  role: RoleName
  capability: CapabilityName[]
  ttl: number
}

function ttl(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOKEN_TTL_SECONDS) throw new InvalidArgumentError(`seconds between 1 and ${MAX_TOKEN_TTL_SECONDS}`)
  return n
}

function meetingId(value: string): string {
  if (!isMeetingId(value)) throw new InvalidArgumentError('not a meeting id (<region>.<26 base32 characters>)')
  return value
}

async function tenantSecret(flags: MintFlags): Promise<string> {
  if (flags.secretEnv !== undefined) {
    const secret = process.env[flags.secretEnv]
    if (!secret) throw new CliError('ERR_CLI_ENV_MISSING', `environment variable ${flags.secretEnv} is not set`)
    return secret
  }
  if (flags.config === undefined) throw new CliError('ERR_CLI_OPTION', 'give --secret-env VAR or --config FILE')
  const config = await loadConfig(flags.config)
  const tenant = config.tenantById(flags.tenant)
  if (!tenant) throw new CliError('ERR_CLI_TENANT_UNKNOWN', `tenant ${flags.tenant} is not in ${flags.config}`)
  return tenant.tokenSecret
}

/** `sovereign token mint`: a participant token (HS256 JWT) from the tenant's secret, printed on stdout. */
export function registerToken(program: Command, out: { write(text: string): unknown } = process.stdout): void {
  const token = program.command('token').description('participant tokens')
  token
    .command('mint')
    .description('mint a participant token (JWT) with the tenant\'s token secret and print it')
    .requiredOption('--tenant <id>', 'tenant id (the token issuer)')
    .addOption(new Option('--secret-env <VAR>', 'environment variable holding the tenant token secret').conflicts('config'))
    .option('--config <file>', 'network config to take the tenant token secret from')
    .requiredOption('--meeting <id>', 'meeting id', meetingId)
    .requiredOption('--identity <id>', 'participant identity (sub)')
    .option('--name <display name>', 'display name shown to others')
    .addOption(new Option('--role <role>', 'participant role').choices([...ROLES]).default('attendee'))
    .addOption(new Option('--capability <cap...>', 'capabilities granted up front').choices([...CAPABILITIES]).default([]))
    .option('--ttl <seconds>', `lifetime in seconds (max ${MAX_TOKEN_TTL_SECONDS})`, ttl, DEFAULT_TOKEN_TTL_SECONDS)
    .action(async (flags: MintFlags) => {
      const jwt = await mintParticipantToken({
        tenantId: flags.tenant,
        secret: await tenantSecret(flags),
        meetingId: flags.meeting,
        identity: flags.identity,
        ...(flags.name !== undefined ? { displayName: flags.name } : {}),
        role: flags.role,
        capabilities: flags.capability,
        ttlSeconds: flags.ttl,
      })
      out.write(`${jwt}\n`)
    })
}
