/**
 * The native engine's per data thread counters, scraped from our relay's /metrics (the
 * `sovereign_relay_data_thread_*` series), and the difference of two scrapes: what each
 * thread did inside a measurement window — packets, recvmmsg batches (mean batch size =
 * batched packets ÷ batches) and its own CPU.
 */
export interface DataThreadWindow {
  rxPackets: number
  txPackets: number
  batches: number
  batchedPackets: number
  cpuSeconds: number
}

export type DataThreadScrape = DataThreadWindow[]

const SERIES = /^sovereign_relay_data_thread_(packets_total|batches_total|batched_packets_total|cpu_seconds_total)\{([^}]*)\}\s+(\S+)$/

/** Parses the data thread series of a Prometheus text exposition; [] when there are none (ts path, coturn). */
export function parseDataThreads(text: string): DataThreadScrape {
  const out: DataThreadScrape = []
  for (const line of text.split('\n')) {
    const m = SERIES.exec(line)
    if (!m) continue
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    const thread = Number(labels.thread)
    const row = (out[thread] ??= { rxPackets: 0, txPackets: 0, batches: 0, batchedPackets: 0, cpuSeconds: 0 })
    const v = Number(m[3])
    if (m[1] === 'packets_total') row[labels.direction === 'tx' ? 'txPackets' : 'rxPackets'] = v
    else if (m[1] === 'batches_total') row.batches = v
    else if (m[1] === 'batched_packets_total') row.batchedPackets = v
    else row.cpuSeconds = v
  }
  return out
}

export async function scrapeDataThreads(metricsUrl: string): Promise<DataThreadScrape> {
  const res = await fetch(`${metricsUrl}/metrics`)
  if (!res.ok) throw new Error(`GET ${metricsUrl}/metrics: ${res.status}`)
  return parseDataThreads(await res.text())
}

/** Per thread: after − before. */
export function dataThreadDelta(before: DataThreadScrape, after: DataThreadScrape): DataThreadWindow[] {
  return after.map((a, i) => {
    const b = before[i] ?? { rxPackets: 0, txPackets: 0, batches: 0, batchedPackets: 0, cpuSeconds: 0 }
    return {
      rxPackets: a.rxPackets - b.rxPackets,
      txPackets: a.txPackets - b.txPackets,
      batches: a.batches - b.batches,
      batchedPackets: a.batchedPackets - b.batchedPackets,
      cpuSeconds: a.cpuSeconds - b.cpuSeconds,
    }
  })
}

/** Mean datagrams per recvmmsg over all threads in the window; undefined without batches. */
export function meanBatch(window: readonly DataThreadWindow[]): number | undefined {
  const batches = window.reduce((t, w) => t + w.batches, 0)
  return batches === 0 ? undefined : window.reduce((t, w) => t + w.batchedPackets, 0) / batches
}
