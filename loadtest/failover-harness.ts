/**
 * A call that loses its relay, on loopback, for the failover test and `npm run
 * bench:failover`: eu-central with relays eu-a (127.1.0.10) and eu-b (127.1.0.11) and
 * us-east with us-a (127.2.0.10), each relay a process of its own (so it can be
 * SIGKILLed) heartbeating into the real Redis under a fresh key prefix with a short TTL;
 * one control-plane node of eu-central in this process; two node-datachannel peers
 * (127.1.0.2, 127.1.0.3) joined through the SDK (SignalClient + NodePeerLink, protocol
 * v1.1) with relay-only ICE. The offerer sends a numbered probe every `probeMs` on the
 * data channel and the answerer echoes it: a media gap is the longest silence between
 * two echoes. A browser cannot choose its source address: 127.0.0.1 is placed in
 * eu-central's country too, so browser tabs (`meeting()`, `baseUrl`) can join the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

import nodeDataChannel from 'node-datachannel'
import WebSocket from 'ws'

import { generateApiKey, hashApiKey } from '../config/api-key.js'
import { parseConfig } from '../config/load-config.js'
import type { NetworkConfig } from '../config/network-config.js'
import { buildApp, type ControlPlaneApp } from '../control-plane/app.js'
import { NodePeerLink, type NdcDataChannel, type NdcPeerConnectionConstructor } from '../control-plane/client/node-peer-link.js'
import { SignalClient, type WebSocketConstructor } from '../control-plane/client/signal-client.js'
import { signalUrl } from '../control-plane/plugins/signaling.js'
import { GeoLocator } from '../geo/lookup.js'
import { openRegionState, type RegionState } from '../state/region-state.js'
import { nodeArgsFor, siblingModule } from './spawn-node.js'

export const RELAY_IPS = { 'eu-a': '127.1.0.10', 'eu-b': '127.1.0.11', 'us-a': '127.2.0.10' } as const
export type RelayId = keyof typeof RELAY_IPS
const REGION_OF: Record<RelayId, string> = { 'eu-a': 'eu-central', 'eu-b': 'eu-central', 'us-a': 'us-east' }
/** Where loopback addresses are: eu-central's peers and a browser's fixed 127.0.0.1 in DE, us-east's in US. */
const GEO_OVERRIDES = [
  { cidr: '127.0.0.1/32', country: 'DE' },
  { cidr: '127.1.0.0/16', country: 'DE' },
  { cidr: '127.2.0.0/16', country: 'US' },
] as const

export interface FailoverTiming {
  /** Relay heartbeat period and TTL: a SIGKILLed relay leaves the fleet at most TTL after its last beat. */
  readonly heartbeatMs: number
  readonly heartbeatTtlMs: number
  /** How often the control plane reads the fleet (signaling `fleetWatchMs`). */
  readonly fleetWatchMs: number
  readonly probeMs: number
}

export const TEST_TIMING: FailoverTiming = { heartbeatMs: 250, heartbeatTtlMs: 1000, fleetWatchMs: 200, probeMs: 20 }

/** What a test may change of the relays' settings. */
export interface FailoverRelaySettings {
  /** relay.quotas.evictIdleAfterSeconds (default 30). */
  readonly evictIdleAfterSeconds?: number
}

function configText(redis: string, timing: FailoverTiming, relay: FailoverRelaySettings = {}): string {
  const secret = (r: string) => `${r}-failover-relay-secret-${randomBytes(6).toString('hex')}`
  return `
version: 1
regions:
  - id: eu-central
    country: DE
    location: { lat: 50.1, lon: 8.7 }
    controlPlane: { url: "http://127.0.0.1:18080", limits: { signaling: { fleetWatchSeconds: ${timing.fleetWatchMs / 1000} } } }
    redis: { url: "${redis}" }
    relaySecrets: [ { id: eu1, value: "${secret('eu')}" } ]
    relays:
      - { id: eu-a, listen: ["${RELAY_IPS['eu-a']}:0"] }
      - { id: eu-b, listen: ["${RELAY_IPS['eu-b']}:0"] }
  - id: us-east
    country: US
    location: { lat: 39.0, lon: -77.5 }
    controlPlane: { url: "http://127.0.0.1:18081" }
    redis: { url: "${redis}" }
    relaySecrets: [ { id: us1, value: "${secret('us')}" } ]
    relays:
      - { id: us-a, listen: ["${RELAY_IPS['us-a']}:0"] }
geo:
  watch: false
  overrides:
${GEO_OVERRIDES.map((o) => `    - { cidr: ${o.cidr}, country: ${o.country} }`).join('\n')}
relay:
  allowPeers: [127.0.0.0/8]
  # The default quotas (4 allocations per participant): libdatachannel leaves a closed
  # connection's TURN allocation to expire (no Refresh 0), so a failover must cost one new
  # connection per side, not a thrown-away one as well.
  # A short heartbeat TTL, so a SIGKILLed relay leaves the fleet in about a second.
  heartbeat: { intervalSeconds: ${timing.heartbeatMs / 1000}, ttlSeconds: ${timing.heartbeatTtlMs / 1000} }${relay.evictIdleAfterSeconds !== undefined ? `
  quotas: { evictIdleAfterSeconds: ${relay.evictIdleAfterSeconds} }` : ''}
tenants:
  - id: acme
    apiKeys: [{ id: acme-1, sha256: ${hashApiKey(generateApiKey('test'))} }]
    tokenSecret: acme-failover-token-secret-${randomBytes(8).toString('hex')}
    allowedRegions: [eu-central, us-east]
    defaultRegion: eu-central
    security: { waitingRoom: false, passcodeRequired: false }
admin: { apiKeys: [ { id: admin, sha256: "${'a'.repeat(64)}" } ] }
`
}

/** A relay process; `killed` once SIGKILL (or its own exit) ended it. */
export interface RelayProcess {
  readonly id: RelayId
  readonly child: ChildProcess
  /** `host:port` of its UDP listener. */
  readonly udp: string
  readonly exited: Promise<void>
}

export class FailoverNetwork {
  readonly config: NetworkConfig
  readonly prefix: string
  readonly timing: FailoverTiming
  readonly relays = new Map<RelayId, RelayProcess>()
  readonly #dir: string
  readonly #configPath: string
  #state: RegionState | undefined
  #app: ControlPlaneApp | undefined
  #url = ''

  private constructor(timing: FailoverTiming, redis: string, relay: FailoverRelaySettings) {
    this.timing = timing
    this.prefix = `t-failover-${randomBytes(5).toString('hex')}`
    this.#dir = mkdtempSync(join(tmpdir(), 'sovereign-failover-'))
    this.#configPath = join(this.#dir, 'network.yaml')
    const text = configText(redis, timing, relay)
    writeFileSync(this.#configPath, text)
    this.config = parseConfig({ text, source: this.#configPath }, { env: {} })
  }

  /** The control-plane node of eu-central, listening on loopback; relays are started with `startRelay`. */
  static async start(timing: FailoverTiming = TEST_TIMING, redis = 'redis://127.0.0.1:6379', relay: FailoverRelaySettings = {}): Promise<FailoverNetwork> {
    const net = new FailoverNetwork(timing, redis, relay)
    const state = openRegionState({ region: 'eu-central', redis: { url: redis }, prefix: net.prefix })
    net.#state = state
    await state.ready()
    const geo = new GeoLocator({ database: null, overrides: [...GEO_OVERRIDES] })
    const other = openRegionState({ region: 'us-east', redis: { url: redis }, prefix: net.prefix })
    const app = await buildApp({
      region: 'eu-central', nodeId: 'eu-cp-1', config: () => net.config, state, geo, defaultMetrics: false,
      liveRelaysOf: (region) => (region === 'us-east' ? other.fleet.liveRelays() : Promise.resolve([])),
    })
    app.addHook('onClose', async () => { await other.close() })
    net.#app = app
    net.#url = signalUrl(await app.listen({ host: '127.0.0.1', port: 0 }))
    return net
  }

  get app(): ControlPlaneApp { return this.#app! }
  /** The control-plane node's signaling URL. */
  get signalUrl(): string { return this.#url }
  /** The control-plane node's HTTP origin (it serves `/examples/call` and the SDK bundle). */
  get baseUrl(): string { return this.#url.replace(/^ws/, 'http').replace(/\/v1\/signal$/, '') }
  get state(): RegionState { return this.#state! }

  async startRelay(id: RelayId): Promise<RelayProcess> {
    const script = siblingModule(import.meta.url, './failover-relay')
    const child = spawn(process.execPath, [...nodeArgsFor(script), script, this.#configPath, this.prefix, REGION_OF[id], id], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const udp = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! })
      lines.on('line', (line) => { if (line.startsWith('ready ')) resolve(line.slice(6)) })
      void exited.then(() => reject(new Error(`relay ${id} exited before it was ready`)))
    })
    const relay = { id, child, udp, exited }
    this.relays.set(id, relay)
    return relay
  }

  /** SIGKILL: no deregistration, no drain; the fleet notices when its heartbeat TTL runs out. */
  async kill(id: RelayId): Promise<void> {
    const relay = this.relays.get(id)
    if (!relay) return
    relay.child.kill('SIGKILL')
    await relay.exited
    this.relays.delete(id)
  }

  /** Resolves once the relay has left its region's live set (its heartbeat TTL ran out). */
  async gone(id: RelayId): Promise<void> {
    const state = this.#regionState(id)
    while ((await state.fleet.liveRelays()).some((r) => r.id === id)) await new Promise((resolve) => setTimeout(resolve, 50))
  }

  /** An operator drain (the admin API's and `sovereign relay drain`'s request in the registry). */
  drain(id: RelayId): Promise<unknown> {
    return this.#regionState(id).fleet.requestDrain(id, { requestedAt: Date.now(), by: 'bench:failover' })
  }

  /**
   * Cancels the drain and resolves once the relay itself says it takes allocations again: a
   * beat sent after one that learned of the cancel. Until then the registry can still read
   * `draining` from a beat the relay sent before it heard (false → true → false).
   */
  async undrain(id: RelayId): Promise<void> {
    const fleet = this.#regionState(id).fleet
    const cancelledAt = Date.now()
    await fleet.cancelDrain(id)
    const settled = (r: { id: string; draining: boolean; sentAt: number }) => r.id === id && !r.draining && r.sentAt > cancelledAt + this.timing.heartbeatMs
    while (!(await fleet.liveRelays()).some(settled)) await new Promise((resolve) => setTimeout(resolve, 20))
  }

  #regionState(id: RelayId): RegionState {
    if (REGION_OF[id] !== 'eu-central') throw new RangeError(`only eu-central relays are drained here (${id})`)
    return this.state
  }

  /** A meeting of eu-central (region mode: its allowed set is eu-central alone) and a way to mint its participant tokens. */
  async meeting(): Promise<{ id: string; token(identity: string, role: 'host' | 'attendee'): Promise<string> }> {
    const acme = this.config.tenantById('acme')!
    const meetings = this.app.sovereign.meetings
    const meeting = await meetings.create(acme, { region: 'eu-central' })
    return {
      id: meeting.id,
      token: async (identity, role) => (await meetings.mintToken(meeting.id, acme, { identity, role, displayName: identity })).token,
    }
  }

  /** Two node-datachannel peers in a call of a new meeting, probing. */
  async call(): Promise<Call> {
    const meeting = await this.meeting()
    const tokenOf = meeting.token
    const a = SignalClient.connect(this.#url, { WebSocket: socketFrom('127.1.0.2'), token: await tokenOf('alice', 'host') })
    const aw = await a.joined
    const b = SignalClient.connect(this.#url, { WebSocket: socketFrom('127.1.0.3'), token: await tokenOf('bob', 'attendee') })
    const bw = await b.joined
    if (aw.kind !== 'welcome' || bw.kind !== 'welcome') throw new Error('a peer was not admitted')
    return new Call(meeting.id, a, b, aw.welcome.participantId, bw.welcome.participantId, this.timing.probeMs)
  }

  async close(): Promise<void> {
    for (const id of [...this.relays.keys()]) await this.kill(id)
    if (this.#app) await this.#app.close()
    if (this.#state) {
      const redis = this.#state.connection?.command
      if (redis) {
        const keys: string[] = []
        let cursor = '0'
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000)
          cursor = next
          keys.push(...batch)
        } while (cursor !== '0')
        if (keys.length > 0) await redis.del(...keys)
      }
      await this.#state.close()
    }
    rmSync(this.#dir, { recursive: true, force: true })
  }
}

/** A WebSocket whose connections come from `localAddress` (a peer placed by the geo overrides). */
export function socketFrom(localAddress: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { localAddress })
    }
  } as unknown as WebSocketConstructor
}

/** Two peers in a call with a probe running over their data channel. */
export class Call {
  readonly linkA: NodePeerLink
  readonly linkB: NodePeerLink
  /** Arrival times (ms, performance.now) of the echoes at the offerer. */
  readonly echoes: number[] = []
  /** The offerer's channels, newest last: probes go on the newest open one (the old one carries on until the new one opens). */
  #channels: NdcDataChannel[] = []
  #seq = 0
  #timer: NodeJS.Timeout
  #waiters: Array<() => void> = []

  constructor(readonly meetingId: string, readonly a: SignalClient, readonly b: SignalClient, readonly aliceId: string, readonly bobId: string, probeMs: number) {
    const PeerConnection = nodeDataChannel.PeerConnection as unknown as NdcPeerConnectionConstructor
    const channels = [{ label: 'probe', id: 1 }]
    this.linkB = new NodePeerLink(b, { remote: aliceId, PeerConnection, channels, offer: false, bindAddress: '127.1.0.3' })
    this.linkB.on('channel', (_label, dc) => dc.onMessage((m) => { try { dc.sendMessage(String(m)) } catch { /* a replaced channel closes under us */ } }))
    this.linkA = new NodePeerLink(a, { remote: bobId, PeerConnection, channels, offer: true, bindAddress: '127.1.0.2' })
    this.linkA.on('channel', (_label, dc) => {
      this.#channels = [...this.#channels.slice(-5), dc]
      dc.onMessage(() => {
        this.echoes.push(performance.now())
        for (const w of this.#waiters.splice(0)) w()
      })
    })
    for (const link of [this.linkA, this.linkB]) link.on('error', () => { /* a signal for a replaced connection: the next one renegotiates */ })
    this.linkB.start()
    this.linkA.start()
    this.#timer = setInterval(() => {
      const dc = [...this.#channels].reverse().find((c) => c.isOpen())
      if (dc) { try { dc.sendMessage(String(++this.#seq)) } catch { /* closing: the next channel takes over */ } }
    }, probeMs)
  }

  /** Resolves at the next echo that arrives after now. */
  nextEcho(timeoutMs = 15_000): Promise<number> {
    const after = this.echoes.length
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo arrived')), timeoutMs)
      const check = () => {
        if (this.echoes.length > after) { clearTimeout(timer); resolve(this.echoes[after]!) } else this.#waiters.push(check)
      }
      check()
    })
  }

  /** The longest silence between echoes that arrived since `from` (ms), counting from `from` itself. */
  gapSince(from: number): number {
    let last = from
    let gap = 0
    for (const at of this.echoes) {
      if (at < from) continue
      gap = Math.max(gap, at - last)
      last = at
    }
    return gap
  }

  /** The relay each side's selected candidate pair goes through: its local and remote relayed addresses. */
  selectedPairs(): Array<{ local: string | undefined; remote: string | undefined; localType: string | undefined; remoteType: string | undefined }> {
    return [this.linkA, this.linkB].map((link) => {
      const pair = (link.pc as unknown as { getSelectedCandidatePair(): { local: { address: string; type: string }; remote: { address: string; type: string } } | null }).getSelectedCandidatePair()
      return { local: pair?.local.address, remote: pair?.remote.address, localType: pair?.local.type, remoteType: pair?.remote.type }
    })
  }

  /** True once both sides' selected pairs run relay to relay through `relay`; false after `timeoutMs`. */
  async movedTo(relay: RelayId, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (!this.selectedPairs().every((p) => p.local === RELAY_IPS[relay] && p.remote === RELAY_IPS[relay])) {
      if (performance.now() > deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return true
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    this.linkA.close()
    this.linkB.close()
    // Every connection either side built (a call that failed over built several) closed before
    // the caller's nodeDataChannel.cleanup(): cleaning up under a closing one can crash.
    await Promise.all([this.linkA.released(), this.linkB.released()])
    await Promise.all([this.a.close(), this.b.close()])
  }
}
