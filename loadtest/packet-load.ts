/**
 * The packet scenarios of the relay benchmark: N allocations, each with a channel bound to
 * the echo peer, sending fixed-size ChannelData packets that the peer sends back through
 * the relay. Each payload carries the flow, a sequence number, the run id and the send
 * time (performance.now(), sub-microsecond), so the round trip is measured from the packet
 * itself and late packets from an earlier run are told apart.
 *
 * Two drivers share one bookkeeping core:
 * - max rate: each flow keeps `window` packets in flight and sends the next one when one
 *   comes back (or is declared lost after `lossTimeoutMs`);
 * - fixed rate: a 1 ms pacer sends exactly `rate` packets/s spread round-robin over the flows.
 *
 * Per-packet work allocates nothing: frames are preallocated per flow in a ring and stamped
 * in place.
 */
import { performance } from 'node:perf_hooks'

import { Histogram, type HistogramSummary } from './histogram.js'
import { CpuMeter } from './proc-stats.js'
import { CHANNEL_DATA_HEADER_LENGTH, TurnClient, channelFrame, type TransportAddress } from '../relay/client/turn-client.js'

/** Payload bytes the benchmark needs for its own fields. */
export const MIN_PAYLOAD_BYTES = 20
const OFF_FLOW = CHANNEL_DATA_HEADER_LENGTH
const OFF_SEQ = OFF_FLOW + 4
const OFF_RUN = OFF_SEQ + 4
const OFF_TIME = OFF_RUN + 4
const RING = 1024 // frames per flow; a slot is reused only after RING later packets

export interface Flow {
  readonly index: number
  readonly client: TurnClient
  readonly channel: number
  /**
   * The credential the flow allocated with. A REST username carries its expiry, so one
   * minted again a second later is another user: the allocation's requests must reuse this.
   */
  readonly credential: { username: string; password: string }
}

export interface SetupOptions {
  /** Flow i uses servers[i % servers.length] (several relay processes on one host). */
  servers: readonly { host: string; port: number }[]
  count: number
  peer: TransportAddress
  /** Credentials for flow i (distinct identities so per-user quotas do not bite). */
  credential: (i: number) => { username: string; password: string }
  bufferBytes?: number
  /** Allocations set up at once. */
  concurrency?: number
  localHost?: string
  /** Flow i's local address and port (overrides localHost). */
  local?: (i: number) => { host: string; port: number }
  /** false: no TURN at all (the floor relay), just sockets sending ChannelData. */
  allocate?: boolean
}

/** Opens `count` clients, allocates, and binds channel 0x4000 on each to the peer. */
export async function setupFlows(opts: SetupOptions): Promise<Flow[]> {
  const flows: Flow[] = new Array(opts.count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < opts.count) {
      const i = next++
      const credential = opts.credential(i)
      const client = await TurnClient.open({
        server: opts.servers[i % opts.servers.length]!,
        ...credential,
        ...(opts.bufferBytes !== undefined ? { bufferBytes: opts.bufferBytes } : {}),
        ...(opts.localHost !== undefined ? { localHost: opts.localHost } : {}),
        ...(opts.local ? { localHost: opts.local(i).host, localPort: opts.local(i).port } : {}),
      })
      if (opts.allocate !== false) {
        await allocateRetrying(client)
        await client.channelBind(0x4000, opts.peer)
      }
      flows[i] = { index: i, client, channel: 0x4000, credential }
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 16, opts.count) }, worker))
  return flows
}

/**
 * Allocate, retrying a 508: on a machine shared with other work, every port a relay tries
 * for the relayed socket may be held by someone else at that moment (the relay gives up
 * after a number of bind attempts); a moment later some are free again.
 */
async function allocateRetrying(client: TurnClient, attempts = 5): Promise<void> {
  for (let a = 1; ; a++) {
    try {
      await client.allocate()
      return
    } catch (err) {
      if (a >= attempts || (err as { stunCode?: number }).stunCode !== 508) throw err
      await new Promise((r) => setTimeout(r, 50 * a))
    }
  }
}

export async function closeFlows(flows: readonly Flow[], release = true): Promise<void> {
  if (release) await Promise.allSettled(flows.filter((f) => f.client.relayed).map((f) => f.client.release()))
  await Promise.all(flows.map((f) => f.client.close()))
}

export interface PacketRunOptions {
  payloadBytes: number
  warmupMs: number
  durationMs: number
  /** A packet not back after this long is counted lost (and frees its window slot). */
  lossTimeoutMs?: number
  /** Processes whose CPU time to meter over the measurement window, by name (e.g. server, echo). */
  cpuPids?: Record<string, number>
  onTick?: (elapsedMs: number) => void
}

export interface PacketRunResult {
  /** Echoed round trips per second inside the measurement window. */
  pps: number
  /** Payload megabits per second, one direction (pps × payload × 8). */
  mbps: number
  /** Packets sent inside the measurement window. */
  sent: number
  /** Of those, echoed back before the run ended plus the drain time. */
  received: number
  lost: number
  lossRatio: number
  /** Packets that came back after being counted lost, or from an earlier run. */
  late: number
  rttUs: HistogramSummary
  /**
   * CPU seconds (user+system) in the measurement window: `generator` (this process), each
   * of `cpuPids`, and `machineBusy`/`machineTotal` for the whole machine (all cores).
   */
  cpu: Record<string, number>
  measuredMs: number
}

let runCounter = 0

/** The bookkeeping shared by both drivers. */
class PacketBook {
  readonly runId = (++runCounter * 2654435761) >>> 0
  readonly rtt = new Histogram()
  readonly frames: Buffer[][]
  readonly sentAt: Float64Array[]
  readonly seqAt: Uint32Array[]
  readonly inFlight: Int32Array
  readonly nextSeq: Uint32Array
  measuring = false
  /** window counters (packets sent while measuring, and what became of them) */
  sent = 0
  received = 0
  lost = 0
  late = 0
  /** echoes that arrived while measuring, whenever they were sent */
  arrived = 0
  measuredFlag: Uint8Array[]

  constructor(readonly flows: readonly Flow[], payloadBytes: number) {
    if (payloadBytes < MIN_PAYLOAD_BYTES) throw new RangeError(`payload must be at least ${MIN_PAYLOAD_BYTES} bytes`)
    this.frames = flows.map((f) => Array.from({ length: RING }, () => {
      const frame = channelFrame(f.channel, payloadBytes)
      frame.writeUInt32LE(f.index, OFF_FLOW)
      frame.writeUInt32LE(this.runId, OFF_RUN)
      return frame
    }))
    this.sentAt = flows.map(() => new Float64Array(RING))
    this.seqAt = flows.map(() => new Uint32Array(RING))
    this.measuredFlag = flows.map(() => new Uint8Array(RING))
    this.inFlight = new Int32Array(flows.length)
    this.nextSeq = new Uint32Array(flows.length)
  }

  send(flow: number): void {
    const seq = this.nextSeq[flow]!
    this.nextSeq[flow] = (seq + 1) >>> 0
    const slot = seq & (RING - 1)
    const sentAt = this.sentAt[flow]!
    if (sentAt[slot] !== 0) this.#lose(flow, slot) // the ring wrapped over a packet that never came back
    const frame = this.frames[flow]![slot]!
    frame.writeUInt32LE(seq, OFF_SEQ)
    const now = performance.now()
    frame.writeDoubleLE(now, OFF_TIME)
    sentAt[slot] = now
    this.seqAt[flow]![slot] = seq
    this.measuredFlag[flow]![slot] = this.measuring ? 1 : 0
    if (this.measuring) this.sent++
    this.inFlight[flow]!++
    this.flows[flow]!.client.sendFrame(frame)
  }

  /** Returns the flow index when the frame completed an outstanding packet, else -1. */
  receive(frame: Buffer): number {
    if (frame.length < CHANNEL_DATA_HEADER_LENGTH + MIN_PAYLOAD_BYTES || frame.readUInt32LE(OFF_RUN) !== this.runId) {
      this.late++
      return -1
    }
    const flow = frame.readUInt32LE(OFF_FLOW)
    const seq = frame.readUInt32LE(OFF_SEQ)
    const slot = seq & (RING - 1)
    const sentAt = this.sentAt[flow]
    if (sentAt === undefined || sentAt[slot] === 0 || this.seqAt[flow]![slot] !== seq) {
      this.late++
      return -1
    }
    const now = performance.now()
    if (this.measuring) this.arrived++
    if (this.measuredFlag[flow]![slot] === 1) {
      this.received++
      this.rtt.record((now - frame.readDoubleLE(OFF_TIME)) * 1e6)
    }
    sentAt[slot] = 0
    this.inFlight[flow]!--
    return flow
  }

  /** Declares packets older than `timeoutMs` lost; returns how many were. */
  sweep(timeoutMs: number): number {
    const cutoff = performance.now() - timeoutMs
    let n = 0
    for (let f = 0; f < this.flows.length; f++) {
      const sentAt = this.sentAt[f]!
      if (this.inFlight[f] === 0) continue
      for (let s = 0; s < RING; s++) {
        const t = sentAt[s]!
        if (t !== 0 && t < cutoff) { this.#lose(f, s); n++ }
      }
    }
    return n
  }

  #lose(flow: number, slot: number): void {
    if (this.measuredFlag[flow]![slot] === 1) this.lost++
    this.sentAt[flow]![slot] = 0
    this.inFlight[flow]!--
  }

  outstanding(): number {
    let n = 0
    for (let f = 0; f < this.flows.length; f++) n += this.inFlight[f]!
    return n
  }
}

function attach(book: PacketBook, onFlowFree: (flow: number) => void): () => void {
  for (const f of book.flows) {
    f.client.onChannelData = (_channel, frame) => {
      const flow = book.receive(frame)
      if (flow >= 0) onFlowFree(flow)
    }
  }
  return () => { for (const f of book.flows) f.client.onChannelData = undefined }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function measure(
  book: PacketBook,
  opts: PacketRunOptions,
  stopSending: () => void,
): Promise<PacketRunResult> {
  const onTick = opts.onTick
  const lossTimeoutMs = opts.lossTimeoutMs ?? 1000
  await delay(opts.warmupMs)
  const meter = new CpuMeter(opts.cpuPids ?? {})
  meter.start()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  book.measuring = true
  const ticker = onTick ? setInterval(() => onTick(performance.now() - t0), 250) : undefined
  await delay(opts.durationMs)
  book.measuring = false
  const measuredMs = performance.now() - t0
  const own = process.cpuUsage(cpu0)
  const cpu = { generator: (own.user + own.system) / 1e6, ...meter.stop() }
  const arrivedInWindow = book.arrived
  stopSending()
  if (ticker) clearInterval(ticker)
  // Drain: give the packets sent in the window their full loss timeout to come back.
  const drainUntil = performance.now() + lossTimeoutMs
  while (book.outstanding() > 0 && performance.now() < drainUntil) await delay(20)
  book.sweep(0)
  const pps = (arrivedInWindow / measuredMs) * 1000
  return {
    pps,
    mbps: (pps * opts.payloadBytes * 8) / 1e6,
    sent: book.sent,
    received: book.received,
    lost: book.lost,
    lossRatio: book.sent === 0 ? 0 : book.lost / book.sent,
    late: book.late,
    rttUs: scaleSummary(book.rtt.summary(), 1e-3),
    cpu,
    measuredMs,
  }
}

/** Max rate: `window` packets in flight per flow, each echo releases the next send. */
export async function runMaxRate(
  flows: readonly Flow[],
  opts: PacketRunOptions & { window: number },
): Promise<PacketRunResult> {
  const book = new PacketBook(flows, opts.payloadBytes)
  let sending = true
  const topUp = (flow: number): void => {
    while (sending && book.inFlight[flow]! < opts.window) book.send(flow)
  }
  const detach = attach(book, topUp)
  const lossTimeoutMs = opts.lossTimeoutMs ?? 1000
  const sweeper = setInterval(() => {
    if (book.sweep(lossTimeoutMs) > 0) for (let f = 0; f < flows.length; f++) topUp(f)
  }, Math.max(10, Math.floor(lossTimeoutMs / 4)))
  for (let f = 0; f < flows.length; f++) topUp(f)
  try {
    return await measure(book, opts, () => { sending = false; clearInterval(sweeper) })
  } finally {
    clearInterval(sweeper)
    detach()
  }
}

/** Fixed rate: `rate` packets/s in total, paced every millisecond, round-robin over flows. */
export async function runFixedRate(
  flows: readonly Flow[],
  opts: PacketRunOptions & { rate: number },
): Promise<PacketRunResult & { offeredPps: number }> {
  const book = new PacketBook(flows, opts.payloadBytes)
  const detach = attach(book, () => {})
  const start = performance.now()
  let total = 0
  let rr = 0
  const lossTimeoutMs = opts.lossTimeoutMs ?? 1000
  let lastSweep = start
  const pace = (): void => {
    const now = performance.now()
    const due = Math.floor(((now - start) / 1000) * opts.rate) - total
    for (let i = 0; i < due; i++) {
      book.send(rr)
      rr = rr + 1 === flows.length ? 0 : rr + 1
    }
    total += due
    if (now - lastSweep > lossTimeoutMs / 4) { book.sweep(lossTimeoutMs); lastSweep = now }
  }
  const pacer = setInterval(pace, 1)
  try {
    const result = await measure(book, opts, () => clearInterval(pacer))
    return { ...result, offeredPps: opts.rate }
  } finally {
    clearInterval(pacer)
    detach()
  }
}

function scaleSummary(s: HistogramSummary, k: number): HistogramSummary {
  return { count: s.count, min: s.min * k, max: s.max * k, mean: s.mean * k, p50: s.p50 * k, p90: s.p90 * k, p99: s.p99 * k, p999: s.p999 * k }
}
