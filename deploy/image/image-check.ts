/**
 * `npm run image:check`: the image `npm run image:build` made, run with podman the way an
 * operator runs it, and checked from the host (loopback only, host networking):
 *
 *  1. the image's own config: a non-root user, ENTRYPOINT ["sovereign"], a HEALTHCHECK, the
 *     OCI labels; its size is printed;
 *  2. `sovereign relay` (standalone, native data path): /healthz, Node 24 and the native
 *     engine in sovereign_build_info, a STUN binding, a TURN Allocate with a TURN REST
 *     credential, data relayed to an echo peer over a channel and back, the HEALTHCHECK,
 *     the process's uid read from /proc on the host, a clean exit on SIGTERM;
 *  3. `sovereign start` (the local network, its ports moved to free ones, the config
 *     mounted read-only): every control plane and relay ready, a meeting created through
 *     the API with the published demo key, the uid, a clean exit on SIGTERM.
 *
 * Exits 1 when any check fails. SOVEREIGN_IMAGE names another image.
 */
import { spawn, execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

import { parseDocument } from 'yaml'

import { publishedKeys } from '../local/banner.js'
import { turnRestCredential } from '../../relay/client/rest-credential.js'
import { Attr, Method, MessageClass, decodeXorAddress, getAttribute } from '../../relay/proto/index.js'
import { freePort } from '../../test/support/free-port.js'
import { request } from '../../test/support/stun-builder.js'
import { TurnClient, echoPeer } from '../../test/support/turn-client.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const IMAGE = process.env.SOVEREIGN_IMAGE ?? `localhost/sovereign-relay:${version}`
/** What works without systemd and with fixed ulimits (deploy/README.md, "The container image"). */
const PODMAN = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs']
const RUN_FLAGS = ['--rm', '--network', 'host', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024']
const IMAGE_USER = '10001:10001'
const READY_TIMEOUT_MS = 60_000

const podman = (...args: string[]) => run('podman', [...PODMAN, ...args], { maxBuffer: 16 << 20 })

// ---- reporting -----------------------------------------------------------------------

let failures = 0
function pass(what: string): void {
  console.log(`  ✔ ${what}`)
}
function fail(what: string, why: unknown): void {
  failures++
  console.log(`  ✘ ${what}: ${why instanceof Error ? why.message : String(why)}`)
}
/** One check: passes, or records why not and lets the next check run. */
async function check(what: string, body: () => Promise<string | void>): Promise<boolean> {
  try {
    const detail = await body()
    pass(detail ? `${what} (${detail})` : what)
    return true
  } catch (err) {
    fail(what, err)
    return false
  }
}
function expect(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

// ---- containers ----------------------------------------------------------------------

interface Container {
  readonly name: string
  output(): string
  readonly exited: Promise<number | null>
  running(): boolean
}

function startContainer(role: string, args: string[], opts: { env?: Record<string, string>; volumes?: string[] } = {}): Container {
  const name = `sovereign-image-check-${role}-${randomBytes(3).toString('hex')}`
  const flags = [
    ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...(opts.volumes ?? []).flatMap((v) => ['--volume', v]),
  ]
  // No periodic health timer: there is no systemd to run it; `podman healthcheck run` runs it once.
  const child = spawn('podman', [...PODMAN, 'run', ...RUN_FLAGS, '--health-interval', 'disable', '--name', name, ...flags, IMAGE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { out += b.toString() })
  let done = false
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { done = true; resolve(code) }))
  return { name, output: () => out, exited, running: () => !done }
}

/** Polls `url` until it answers 200: a container's start-up has no event to await from the host. */
async function waitReady(c: Container, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!c.running()) throw new Error(`the container exited: ${c.output().trim().split('\n').slice(-5).join(' | ')}`)
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
    if (res?.status === 200) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`)
}

/** The uid and gid of the container's main process, from /proc on the host. */
async function processIds(c: Container): Promise<string> {
  const { stdout } = await podman('inspect', '--format', '{{.State.Pid}}', c.name)
  const status = await readFile(`/proc/${stdout.trim()}/status`, 'utf8')
  const uids = /^Uid:\s+(.*)$/m.exec(status)![1]!.trim().split(/\s+/)
  const gids = /^Gid:\s+(.*)$/m.exec(status)![1]!.trim().split(/\s+/)
  expect(uids.every((u) => u !== '0') && gids.every((g) => g !== '0'), `runs as uid ${uids.join('/')} gid ${gids.join('/')}`)
  return `pid ${stdout.trim()} on the host, uid ${uids[0]} gid ${gids[0]}`
}

async function stopCleanly(c: Container): Promise<string> {
  const started = Date.now()
  await podman('kill', '--signal', 'TERM', c.name)
  const code = await Promise.race([c.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))])
  expect(code === 0, `exit ${code}: ${c.output().trim().split('\n').slice(-3).join(' | ')}`)
  return `exit 0 in ${Date.now() - started} ms`
}

async function remove(c: Container): Promise<void> {
  await podman('rm', '--force', '--ignore', c.name).catch(() => {})
}

// ---- 1. the image --------------------------------------------------------------------

async function checkImage(): Promise<boolean> {
  console.log(`image ${IMAGE}`)
  const { stdout } = await podman('image', 'inspect', IMAGE).catch(() => ({ stdout: '' }))
  if (stdout === '') {
    fail('the image exists', `podman has no ${IMAGE}: run npm run image:build first`)
    return false
  }
  const [info] = JSON.parse(stdout) as Array<{ Size: number; Config: { User?: string; Entrypoint?: string[]; Labels?: Record<string, string> } }>
  const config = info!.Config
  await check('runs as a non-root user', async () => {
    expect(config.User === IMAGE_USER, `User is ${JSON.stringify(config.User)}, not ${IMAGE_USER}`)
    return `User ${config.User}`
  })
  await check('its entrypoint is sovereign', async () => {
    expect(JSON.stringify(config.Entrypoint) === '["sovereign"]', `Entrypoint ${JSON.stringify(config.Entrypoint)}`)
  })
  await check('has a HEALTHCHECK', async () => {
    // Not in podman's JSON listing; its template field has it.
    const { stdout: hc } = await podman('image', 'inspect', '--format', '{{json .HealthCheck}}', IMAGE)
    const test = (JSON.parse(hc) as { Test?: string[] } | null)?.Test ?? []
    expect(test.length > 0, 'no HEALTHCHECK (an OCI-format build drops it: build with --format docker)')
    return test.slice(1).join(' ')
  })
  await check('has the OCI labels', async () => {
    const labels = config.Labels ?? {}
    const want = ['org.opencontainers.image.version', 'org.opencontainers.image.source', 'org.opencontainers.image.licenses']
    for (const l of want) expect(Boolean(labels[l]), `no ${l}`)
    expect(labels['org.opencontainers.image.version'] === version, `version label ${labels['org.opencontainers.image.version']}, package ${version}`)
    return want.map((l) => `${l.split('.').pop()}=${labels[l]}`).join(', ')
  })
  console.log(`  size: ${(info!.Size / 1e6).toFixed(0)} MB`)
  return true
}

// ---- 2. a standalone relay -----------------------------------------------------------

async function checkRelay(): Promise<void> {
  console.log('as a relay: sovereign relay --data-path native …')
  const [turnPort, metricsPort] = [await freePort(), await freePort()]
  const secret = randomBytes(16).toString('hex')
  const health = `http://127.0.0.1:${metricsPort}/healthz`
  const relay = startContainer('relay', [
    'relay', '--listen', `127.0.0.1:${turnPort}`, '--secret', secret, '--metrics', `127.0.0.1:${metricsPort}`,
    '--allow-peers', '127.0.0.0/8', '--data-path', 'native', '--data-threads', '2',
  ], { env: { SOVEREIGN_HEALTH_URL: health } })
  // Another loopback address: the relay refuses peers on its own address (hairpin guard).
  const peer = await echoPeer('127.0.0.2')
  let client: TurnClient | undefined
  try {
    if (!await check('answers /healthz', async () => { await waitReady(relay, health); return health })) return
    await check('runs Node 24 and the native data plane', async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      const line = /^sovereign_build_info\{(.*)\} 1$/m.exec(metrics)?.[1] ?? ''
      expect(/node_version="24\./.test(line), `sovereign_build_info{${line}}`)
      expect(/data_path="native"/.test(line), `sovereign_build_info{${line}}`)
      return line
    })
    await check('answers a STUN binding with the client\'s address', async () => {
      const stun = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port: turnPort, username: '', password: '' })
      try {
        const res = await stun.exchange(request(Method.Binding))
        expect(res.cls === MessageClass.SuccessResponse, `class ${res.cls}`)
        const mapped = decodeXorAddress(getAttribute(res, Attr.XorMappedAddress)!.value, res.transactionId)
        expect(mapped.address === '127.0.0.1' && mapped.port === stun.localPort, `XOR-MAPPED-ADDRESS ${mapped.address}:${mapped.port}, client 127.0.0.1:${stun.localPort}`)
        return `XOR-MAPPED-ADDRESS ${mapped.address}:${mapped.port}`
      } finally {
        await stun.close()
      }
    })
    const credential = turnRestCredential(secret, 'image-check')
    client = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port: turnPort, username: credential.username, password: credential.password })
    const allocated = await check('allocates with a TURN REST credential', async () => {
      const { relayed, lifetime } = await client!.allocate()
      return `relayed ${relayed.address}:${relayed.port}, lifetime ${lifetime} s, username ${credential.username}`
    })
    if (allocated) {
      await check('relays data over a channel to a peer and back', async () => {
        await client!.channelBind(0x4000, peer.address)
        const payload = randomBytes(64)
        client!.sendChannelData(0x4000, payload)
        const back = await client!.nextData((r) => r.channel === 0x4000, 5000)
        expect(back.data.equals(payload), 'the echoed payload differs')
        return `${payload.length} bytes out and back through channel 0x4000`
      })
      await check('the native engine forwarded them', async () => {
        // Forwarded by the data threads = received by them and not handed up to TypeScript.
        const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
        const sum = (re: RegExp) => [...metrics.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0)
        const rx = sum(/^sovereign_relay_data_thread_packets_total\{[^}]*direction="rx"[^}]*\} (\d+)$/gm)
        const handedUp = sum(/^sovereign_relay_data_thread_handed_up_total\{[^}]*\} (\d+)$/gm)
        expect(rx - handedUp >= 2, `data threads received ${rx}, handed up ${handedUp}`)
        return `${rx - handedUp} of ${rx} datagrams the data threads received never reached JavaScript`
      })
    }
    await check('its HEALTHCHECK passes', async () => { await podman('healthcheck', 'run', relay.name) })
    await check('its process is not root', () => processIds(relay))
    // RFC 8656 §7.2: a Refresh with LIFETIME 0 deletes the allocation, so the drain on
    // SIGTERM has nothing left to wait for.
    if (allocated) await check('releases the allocation', async () => { expect(await client!.refresh(0) === 0, 'lifetime is not 0') })
    await client.close()
    client = undefined
    await check('stops on SIGTERM', () => stopCleanly(relay))
  } finally {
    await client?.close()
    await peer.close()
    await remove(relay)
  }
}

// ---- 3. the local network ------------------------------------------------------------

/** The local network's example config with every control-plane, TURN and metrics port moved to a free one. */
async function localNetworkVariant(dir: string): Promise<{ path: string; controlPlanes: Record<string, string>; relayMetrics: string[] }> {
  const doc = parseDocument(await readFile(join(ROOT, 'deploy/examples/local-network.yaml'), 'utf8'))
  const regions = (doc.toJS() as { regions: Array<{ id: string; controlPlane: { listen: string }; relays: Array<{ listen: string[]; metrics: string }> }> }).regions
  const controlPlanes: Record<string, string> = {}
  const relayMetrics: string[] = []
  const host = (hostPort: string) => hostPort.slice(0, hostPort.lastIndexOf(':'))
  for (const [i, region] of regions.entries()) {
    const listen = `${host(region.controlPlane.listen)}:${await freePort()}`
    doc.setIn(['regions', i, 'controlPlane', 'listen'], listen)
    doc.setIn(['regions', i, 'controlPlane', 'url'], `http://${listen}`)
    controlPlanes[region.id] = `http://${listen}`
    for (const [j, relay] of region.relays.entries()) {
      doc.setIn(['regions', i, 'relays', j, 'listen'], doc.createNode(await Promise.all(relay.listen.map(async (l) => `${host(l)}:${await freePort()}`))))
      const metrics = `${host(relay.metrics)}:${await freePort()}`
      doc.setIn(['regions', i, 'relays', j, 'metrics'], metrics)
      relayMetrics.push(`http://${metrics}`)
    }
  }
  const path = join(dir, 'network.yaml')
  await writeFile(path, String(doc))
  // The container's user (10001) reads it through the read-only mount.
  await chmod(dir, 0o755)
  await chmod(path, 0o644)
  return { path, controlPlanes, relayMetrics }
}

async function checkLocalNetwork(): Promise<void> {
  console.log('as the local network: sovereign start --config <the example, ports moved> …')
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-image-check-'))
  const variant = await localNetworkVariant(dir)
  const eu = variant.controlPlanes['eu-central']!
  const network = startContainer('start', ['start', '--config', '/etc/sovereign/network.yaml'], {
    env: { SOVEREIGN_HEALTH_URL: `${eu}/healthz` },
    volumes: [`${dir}:/etc/sovereign:ro`],
  })
  try {
    const ready = await check('every control plane and relay is ready', async () => {
      for (const url of Object.values(variant.controlPlanes)) await waitReady(network, `${url}/readyz`)
      for (const url of variant.relayMetrics) await waitReady(network, `${url}/readyz`)
      return `${Object.keys(variant.controlPlanes).length} control planes, ${variant.relayMetrics.length} relays`
    })
    if (!ready) return
    await check('creates a meeting through the API', async () => {
      const key = publishedKeys(await readFile(join(ROOT, 'deploy/examples/local-network.yaml'), 'utf8')).demo
      expect(key !== undefined, 'no published demo key in the example config')
      const res = await fetch(`${eu}/v1/meetings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ region: 'eu-central', title: 'image check' }),
      })
      const body = await res.json() as { id?: string; homeRegion?: string }
      expect(res.status === 201, `POST /v1/meetings: ${res.status} ${JSON.stringify(body)}`)
      expect(body.homeRegion === 'eu-central', `homed in ${body.homeRegion}`)
      return `${body.id}, homed in ${body.homeRegion}`
    })
    await check('its HEALTHCHECK passes', async () => { await podman('healthcheck', 'run', network.name) })
    await check('its process is not root', () => processIds(network))
    await check('stops on SIGTERM', () => stopCleanly(network))
  } finally {
    await remove(network)
    await rm(dir, { recursive: true, force: true })
  }
}

const started = Date.now()
if (await checkImage()) {
  await checkRelay()
  await checkLocalNetwork()
}
console.log(failures === 0 ? `image:check passed in ${((Date.now() - started) / 1000).toFixed(1)} s` : `image:check: ${failures} check(s) failed`)
process.exit(failures === 0 ? 0 : 1)
