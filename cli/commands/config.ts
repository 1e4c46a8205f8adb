import type { Command } from 'commander'
import { readFileSync } from 'node:fs'

import { generateApiKey, hashApiKey, type ApiKeyKind } from '../../config/api-key.js'
import { ConfigError } from '../../config/config-error.js'
import { loadConfig } from '../../config/load-config.js'
import { redactConfig } from '../../config/redact.js'
import type { NetworkConfig } from '../../config/network-config.js'
import { CliError } from '../cli-error.js'

/**
 * `sovereign config check <file>`: validate a network config without starting anything.
 * `sovereign config hash-key <key>`: the sha256 to put in the config for an API key.
 * `sovereign config new-key`: a fresh API key and its sha256.
 */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('validate network configs and manage API keys')

  config
    .command('check')
    .description('validate a network config file; prints every error with its field path (exit code 1 on error)')
    .argument('<file>', 'the YAML network config')
    .option('--allow-missing-env', 'check a file whose secrets are not in this environment (unset variables get placeholders)')
    .option('--print', 'also print the loaded config as JSON (defaults applied, secrets redacted)')
    .action(async (file: string, options: { allowMissingEnv?: boolean; print?: boolean }) => {
      try {
        const loaded = await loadConfig(file, { missingEnv: options.allowMissingEnv === true ? 'placeholder' : 'error' })
        process.stdout.write(summary(loaded))
        if (options.print === true) process.stdout.write(`${JSON.stringify(redactConfig(loaded), null, 2)}\n`)
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error
        process.stderr.write(`${error.message}\n`)
        process.exitCode = 1
      }
    })

  config
    .command('hash-key')
    .description('print the sha256 of an API key, as the config stores it ("-" reads the key from stdin, keeping it out of shell history)')
    .argument('<key>', 'the API key, or - for stdin')
    .action((key: string) => {
      const value = key === '-' ? readFileSync(0, 'utf8').trim() : key
      if (value === '') throw new CliError('ERR_CLI_OPTION', 'empty API key')
      process.stdout.write(`${hashApiKey(value)}\n`)
    })

  config
    .command('new-key')
    .description('generate an API key; prints the key (give it to its owner) and its sha256 (put it in the config)')
    .option('--kind <kind>', 'live, test or admin', 'live')
    .action((options: { kind: string }) => {
      if (!['live', 'test', 'admin'].includes(options.kind)) throw new CliError('ERR_CLI_OPTION', `--kind must be live, test or admin, not ${options.kind}`)
      const key = generateApiKey(options.kind as ApiKeyKind)
      process.stdout.write(`key:    ${key}\nsha256: ${hashApiKey(key)}\n`)
    })
}

function summary(config: NetworkConfig): string {
  const relays = config.regions.reduce((sum, region) => sum + region.relays.length, 0)
  const lines = [
    `OK ${config.source}`,
    `  regions: ${config.regions.length} (${config.regions.map((region) => `${region.id} ${region.country}`).join(', ')})`,
    `  relays: ${relays}`,
    `  tenants: ${config.tenants.length}${config.tenants.length > 0 ? ` (${config.tenants.map((tenant) => tenant.id).join(', ')})` : ''}`,
    `  jurisdictions defined: ${config.jurisdictions.length}; geo overrides: ${config.geo.overrides.length}; admin keys: ${config.admin.apiKeys.length}`,
  ]
  if (config.unsetEnv.length > 0) lines.push(`  not set here (placeholders used): ${config.unsetEnv.join(', ')}`)
  return `${lines.join('\n')}\n`
}
