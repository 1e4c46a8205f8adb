/**
 * `sovereign relay drain <relayId> --region <id> [--config <file>]` and
 * `sovereign relay undrain <relayId> …` (or `drain --cancel`): an operator drains a relay
 * through the region's control plane — the admin API, with an admin key — which stores
 * the request in the region's fleet registry. The relay stops taking new allocations on
 * its next heartbeat (about a second) and keeps relaying the existing ones; relay
 * selection skips it at once; the request survives the relay's restarts until undrained.
 *
 * Why the API and not Redis directly: operators hold admin keys, not the region's Redis
 * credentials (Redis stays inside the region's network), the control plane records who
 * asked (`admin:<key id>`) and counts it in its metrics, and the same command works
 * against the local network (`npm start`) whose key prefix is fresh per run.
 * The control plane is the region's `controlPlane.url` in the config (or --control-plane);
 * the key is --admin-key, else SOVEREIGN_ADMIN_KEY, else the published local-only admin
 * key of the config file (deploy/examples/local-network.yaml has one).
 */
import { readFile } from 'node:fs/promises'

import type { Command } from 'commander'

import { ConfigError } from '../../config/config-error.js'
import { loadConfig } from '../../config/load-config.js'
import { publishedKeys } from '../../deploy/local/banner.js'
import { defaultConfigPath } from '../../deploy/local/local-network.js'

export interface DrainIo {
  readonly out: { write(s: string): unknown }
  readonly err: { write(s: string): unknown }
  setExitCode(code: number): void
  readonly env?: NodeJS.ProcessEnv
  readonly sleep?: (ms: number) => Promise<void>
}

const processIo: DrainIo = { out: process.stdout, err: process.stderr, setExitCode: (c) => { process.exitCode = c } }

interface DrainFlags {
  region?: string
  config?: string
  reason?: string
  cancel?: boolean
  adminKey?: string
  controlPlane?: string
  waitEmpty?: string
  json?: boolean
}

interface DrainState {
  region: string
  relayId: string
  live: boolean
  draining: boolean
  cancelled?: boolean
  drainRequest?: { requestedAt: string; by: string; reason?: string }
}

/** Adds `drain` and `undrain` under `sovereign relay`. Options given before the subcommand (the relay's own --config, --region) count too. */
export function registerRelayDrain(relay: Command, io: DrainIo = processIo): void {
  const common = (c: Command): Command => c
    .argument('<relayId>', 'the relay id, as in the fleet (sovereign state fleet, GET /v1/admin/fleet)')
    .option('--region <id>', 'the relay\'s region (required)')
    .option('--config <file>', 'network config (default: deploy/examples/local-network.yaml)')
    .option('--admin-key <key>', 'operator API key (default: SOVEREIGN_ADMIN_KEY, or the config\'s published local-only key)')
    .option('--control-plane <url>', 'the region\'s control plane (default: regions[].controlPlane.url of the config)')
    .option('--json', 'print the API answer as JSON')

  common(relay.command('drain'))
    .description('drain a relay through its region\'s registry: no new allocations, existing ones keep relaying; survives restarts until undrained')
    .option('--reason <text>', 'why (shown in the fleet view and the relay log)')
    .option('--cancel', 'undo: the same as `sovereign relay undrain`')
    .option('--wait-empty <seconds>', 'then wait until the relay holds no allocation (or left the fleet); exit 3 on timeout')
    .action(async (relayId: string, _o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<DrainFlags>()
      await run(flags.cancel ? 'undrain' : 'drain', relayId, flags, io)
    })

  common(relay.command('undrain'))
    .description('cancel a drain request: the relay takes new allocations again on its next heartbeat')
    .action(async (relayId: string, _o: unknown, cmd: Command) => {
      await run('undrain', relayId, cmd.optsWithGlobals<DrainFlags>(), io)
    })
}

async function run(action: 'drain' | 'undrain', relayId: string, flags: DrainFlags, io: DrainIo): Promise<void> {
  const fail = (message: string, code = 1): void => {
    io.err.write(`sovereign relay ${action}: ${message}\n`)
    io.setExitCode(code)
  }
  if (flags.region === undefined) return fail('--region <id> is required', 2)
  const file = flags.config ?? defaultConfigPath()
  let base: string
  let key: string | undefined
  let trusted: Set<string>
  try {
    const config = await loadConfig(file)
    const region = config.regionById(flags.region)
    if (!region) return fail(`no region "${flags.region}" in ${file} (regions: ${config.regions.map((r) => r.id).join(', ')})`, 2)
    base = (flags.controlPlane ?? region.controlPlane.url).replace(/\/+$/, '')
    // A 307 to another region's control plane is followed only to a control plane of this config.
    trusted = new Set(config.regions.map((r) => new URL(r.controlPlane.url).origin))
    key = flags.adminKey ?? (io.env ?? process.env).SOVEREIGN_ADMIN_KEY ?? publishedKeys(await readFile(file, 'utf8')).admin
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 2)
    throw err
  }
  if (!key) return fail('no admin key: give --admin-key or set SOVEREIGN_ADMIN_KEY', 2)
  const headers = { authorization: `Bearer ${key}` }
  const url = `${base}/v1/admin/regions/${encodeURIComponent(flags.region)}/relays/${encodeURIComponent(relayId)}/drain`

  // Redirects by hand: fetch drops the Authorization header on a cross-origin redirect,
  // and the key must only go to a control plane the config names.
  const send = (to: string): Promise<Response> => action === 'drain'
    ? fetch(to, { method: 'POST', redirect: 'manual', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(flags.reason ? { reason: flags.reason } : {}) })
    : fetch(to, { method: 'DELETE', redirect: 'manual', headers })
  let res: Response
  try {
    res = await send(url)
    const location = res.headers.get('location')
    if (res.status === 307 && location) {
      if (!trusted.has(new URL(location).origin)) return fail(`refusing to follow a redirect to ${location}: not a control plane of the config`)
      base = new URL(location).origin
      res = await send(location)
    }
  } catch (err) {
    return fail(`control plane ${base} not reachable: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`)
  }
  const body = (await res.json().catch(() => ({}))) as DrainState & { code?: string; message?: string }
  if (res.status !== 200) return fail(`${res.status} ${body.code ?? ''} ${body.message ?? ''}`.trim())
  if (flags.json) io.out.write(`${JSON.stringify(body, null, 2)}\n`)
  else io.out.write(describe(action, body))

  if (action === 'drain' && flags.waitEmpty !== undefined) await waitEmpty(base, headers, body, Number(flags.waitEmpty), io, fail)
}

function describe(action: 'drain' | 'undrain', s: DrainState): string {
  const name = `relay ${s.relayId} of ${s.region}`
  if (action === 'undrain') {
    return s.cancelled
      ? `${name}: drain request cancelled; it takes new allocations again from its next heartbeat (about 1 s)\n`
      : `${name}: had no drain request (nothing to cancel)\n`
  }
  const r = s.drainRequest
  return [
    `${name}: draining (requested by ${r?.by ?? '?'} at ${r?.requestedAt ?? '?'}${r?.reason ? `, reason: ${r.reason}` : ''})`,
    s.live
      ? '  relay selection skips it now; the relay refuses new allocations from its next heartbeat (about 1 s); existing allocations keep relaying'
      : '  not in the live fleet now: it drains as soon as it starts',
    `  the request survives restarts until: sovereign relay undrain ${s.relayId} --region ${s.region}`,
    '',
  ].join('\n')
}

/** Polls the fleet view until the relay holds no allocation or has left the fleet. */
async function waitEmpty(base: string, headers: Record<string, string>, s: DrainState, seconds: number, io: DrainIo, fail: (m: string, code?: number) => void): Promise<void> {
  if (!Number.isFinite(seconds) || seconds < 0) return fail('--wait-empty must be a number of seconds', 2)
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const res = await fetch(`${base}/v1/admin/fleet`, { headers })
    if (res.status !== 200) return fail(`fleet view answered ${res.status}`)
    const fleet = (await res.json()) as { regions: Array<{ region: string; relays: Array<{ id: string; allocations: number }> }> }
    const relay = fleet.regions.find((r) => r.region === s.region)?.relays.find((r) => r.id === s.relayId)
    if (!relay || relay.allocations === 0) {
      io.out.write(`relay ${s.relayId}: ${relay ? 'no allocation left' : 'left the fleet'}; safe to stop it\n`)
      return
    }
    if (Date.now() >= deadline) return fail(`relay ${s.relayId} still holds ${relay.allocations} allocation(s) after ${seconds} s`, 3)
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())))
  }
}
