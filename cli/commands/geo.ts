import type { Command } from 'commander'

import { ConfigError } from '../../config/config-error.js'
import { loadConfig } from '../../config/load-config.js'
import { countryName } from '../../geo/countries.js'
import { Jurisdictions } from '../../geo/jurisdictions.js'
import { openGeoLookup, type GeoLocator, type GeoResult } from '../../geo/lookup.js'
import type { OverrideMatch, OverrideRule } from '../../geo/overrides.js'

export interface GeoLookupRow extends GeoResult {
  readonly ip: string
  readonly name: string | null
  readonly jurisdictions: readonly string[]
  /** The override rule that decided, when source is 'override'. */
  readonly override?: OverrideMatch
}

export function lookupRows(ips: readonly string[], geo: GeoLocator, jurisdictions: Jurisdictions): GeoLookupRow[] {
  return ips.map((ip) => {
    const r = geo.lookup(ip)
    const override = r.source === 'override' ? geo.overrideFor(ip) : undefined
    return {
      ip,
      ...r,
      ...(override ? { override } : {}),
      name: r.country === null ? null : countryName(r.country) ?? null,
      jurisdictions: r.country === null ? [] : jurisdictions.jurisdictionsOf(r.country),
    }
  })
}

export function formatTable(rows: readonly GeoLookupRow[]): string {
  const table = [
    ['ADDRESS', 'COUNTRY', 'SOURCE', 'JURISDICTIONS'],
    ...rows.map((r) => [
      r.ip,
      r.country === null ? '-' : `${r.country} ${r.name ?? ''}`.trim(),
      r.override ? `override ${r.override.cidr}` : r.source,
      r.jurisdictions.join(', ') || '-',
    ]),
  ]
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)))
  return table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n'
}

/**
 * `sovereign geo lookup <ip...>`: where geo places addresses — country, whether an
 * override, the database or the reserved-range rule decided, and the jurisdictions the
 * country lies in. With --config the config's overrides, database and operator
 * jurisdictions apply (secrets need not be set: none are read).
 */
export function registerGeo(program: Command, io: { out: (text: string) => void; err: (text: string) => void } = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}): void {
  const geo = program.command('geo').description('IP geolocation and jurisdictions')
  geo
    .command('lookup')
    .description('print country, source (override/database/reserved/unknown) and jurisdictions of addresses')
    .argument('<ip...>', 'IPv4 or IPv6 addresses')
    .option('--config <file>', 'network config whose geo overrides, database and jurisdictions apply')
    .option('--database <file>', 'MMDB file to use (default: the config\'s, else the embedded CC0 database)')
    .option('--json', 'print JSON instead of a table')
    .action(async (ips: string[], options: { config?: string; database?: string; json?: boolean }) => {
      let overrides: readonly OverrideRule[] = []
      let database: string | undefined
      let jurisdictions = Jurisdictions.fromConfig()
      if (options.config !== undefined) {
        try {
          const config = await loadConfig(options.config, { missingEnv: 'placeholder' })
          overrides = config.geo?.overrides ?? []
          database = config.geo?.database
          jurisdictions = Jurisdictions.fromConfig(config.jurisdictions)
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error
          io.err(`${error.message}\n`)
          process.exitCode = 1
          return
        }
      }
      const settings: { database?: string; overrides: readonly OverrideRule[] } = { overrides }
      const file = options.database ?? database
      if (file !== undefined) settings.database = file
      const locator = await openGeoLookup(settings)
      try {
        const rows = lookupRows(ips, locator, jurisdictions)
        io.out(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows))
      } finally {
        locator.close({ closeDatabase: true })
      }
    })
}
