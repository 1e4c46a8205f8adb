/**
 * What a running process is built from, for `sovereign_build_info` and the start-up log:
 * the package version, the Node version it runs on, and (for a relay) the data path that
 * moves its packets — "ts" for the TypeScript socket layer; the native engine reports
 * "native". The standard `*_build_info` shape: a gauge fixed at 1 whose labels carry the
 * facts, so a dashboard can join on them (`* on(instance) group_left(version) …`).
 */
import { readFileSync } from 'node:fs'
import { Gauge, type Registry } from 'prom-client'

export type DataPath = 'ts' | 'native'

/** Works from source (platform/build-info.ts) and from the build (dist/platform/build-info.js). */
export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'sovereign-relay' && pkg.version) return pkg.version
    } catch { /* try the next candidate */ }
  }
  return '0.0.0'
}

export interface BuildInfo {
  readonly version: string
  /** process.version without the leading "v", e.g. "24.11.1". */
  readonly nodeVersion: string
}

export function buildInfo(): BuildInfo {
  return { version: packageVersion(), nodeVersion: process.versions.node }
}

/**
 * Registers `sovereign_build_info` in `registry`. A relay passes its data path; a control
 * plane moves no media and leaves the label out.
 */
export function registerBuildInfo(registry: Registry, opts: { dataPath?: DataPath } = {}): void {
  const info = buildInfo()
  const labels: Record<string, string> = { version: info.version, node_version: info.nodeVersion }
  if (opts.dataPath) labels['data_path'] = opts.dataPath
  const gauge = new Gauge({ name: 'sovereign_build_info', help: 'Always 1; labels: package version, Node version and (relays) the data path moving packets (ts or native)', labelNames: Object.keys(labels), registers: [registry] })
  gauge.set(labels, 1)
}
