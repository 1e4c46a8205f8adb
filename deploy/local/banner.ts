/**
 * What `sovereign start` prints once the local network is up: where everything listens,
 * the published local-only keys, and curls that work as pasted (pure; no I/O).
 */
import type { LocalNetwork } from './local-network.js'

export interface PublishedKeys {
  /** Keyed by the word before "key" in the config's comments: "demo", "admin", "eu-only". */
  readonly [label: string]: string | undefined
}

/** Keys the example config publishes in comments: `# Demo key (published, local only): sk_...`. */
export function publishedKeys(configText: string): PublishedKeys {
  const keys: Record<string, string> = {}
  for (const m of configText.matchAll(/#\s*([\w-]+) key \(published, local only\):\s*(\S+)/gi)) keys[m[1]!.toLowerCase()] = m[2]!
  return keys
}

export function formatBanner(network: Pick<LocalNetwork, 'regions' | 'state' | 'prefix' | 'configPath'> & { readonly keepsState?: boolean }, keys: PublishedKeys): string {
  const lines: string[] = ['', `Sovereign Relay local network — ${network.regions.length} regions on loopback (${network.configPath})`]
  lines.push(network.state === 'redis'
    ? (network.keepsState === true
        ? `State: Redis, key prefix "${network.prefix}" (kept at exit: --keep-state)`
        : `State: Redis, key prefix "${network.prefix}" (deleted at exit)`)
    : 'State: IN-PROCESS MEMORY (no Redis answered) — single-process only; start redis-server for a shared state')
  for (const region of network.regions) {
    const cp = region.controlPlaneUrl
    lines.push('', `${region.id} (${region.name})`)
    // Prometheus' view is the metrics listener; on the API port /metrics needs the admin key.
    const metrics = region.controlPlaneMetricsUrl === undefined ? `${cp}/metrics (admin key)` : `${region.controlPlaneMetricsUrl}/metrics`
    lines.push(`  control plane  ${cp}   API ${cp}/v1   OpenAPI ${cp}/docs   metrics ${metrics}`)
    // The admin key rides in the fragment: the browser never sends it to the server in a URL.
    lines.push(`  dashboard      ${cp}/dashboard${keys.admin === undefined ? '' : `#key=${keys.admin}`}`)
    for (const relay of region.relays) {
      const transports = [...relay.udp.map((a) => `turn:${a}?transport=udp`), ...relay.tcp.map((a) => `turn:${a}?transport=tcp`)]
      lines.push(`  relay ${relay.id.padEnd(14)} ${transports.join('  ')}${relay.metricsUrl ? `   metrics ${relay.metricsUrl}/metrics` : ''}`)
    }
  }
  const eu = network.regions.find((r) => r.id === 'eu-central') ?? network.regions[0]
  if (keys.demo !== undefined && eu !== undefined) {
    lines.push('', `Demo tenant API key (published, local only): ${keys.demo}`)
    if (keys.admin !== undefined) lines.push(`Admin API key (published, local only):       ${keys.admin}`)
    lines.push('', `Try it — create a meeting on ${eu.id}, then mint a participant token for it:`)
    lines.push(`  export SR=${eu.controlPlaneUrl} KEY=${keys.demo}`)
    lines.push(`  MEETING=$(curl -s -X POST $SR/v1/meetings -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"region":"${eu.id}","title":"demo"}' | sed -E 's/.*"id":"([^"]+)".*/\\1/')`)
    lines.push('  echo $MEETING')
    lines.push(`  curl -s -X POST $SR/v1/meetings/$MEETING/tokens -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"identity":"alice","role":"host"}'`)
    if (keys.admin !== undefined) lines.push(`  curl -s $SR/v1/admin/fleet -H "authorization: Bearer ${keys.admin}"     # live relays`)
  }
  lines.push('', 'Ctrl-C stops everything.', '')
  return lines.join('\n')
}
