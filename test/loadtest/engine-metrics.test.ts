import t from 'tap'

import { dataThreadDelta, meanBatch, parseDataThreads } from '../../loadtest/engine-metrics.js'

const scrape = (rx0: number, batches0: number, batched0: number, cpu1: number): string => `
# HELP sovereign_relay_data_thread_packets_total Datagrams received (rx) and sent (tx)
sovereign_relay_data_thread_packets_total{thread="0",direction="rx"} ${rx0}
sovereign_relay_data_thread_packets_total{thread="0",direction="tx"} 7
sovereign_relay_data_thread_packets_total{thread="1",direction="rx"} 3
sovereign_relay_data_thread_batches_total{thread="0"} ${batches0}
sovereign_relay_data_thread_batched_packets_total{thread="0"} ${batched0}
sovereign_relay_data_thread_cpu_seconds_total{thread="1"} ${cpu1}
sovereign_relay_relayed_packets_total{direction="to_peer"} 99
`

t.test('the data thread series are read per thread, other series ignored', async (t) => {
  const threads = parseDataThreads(scrape(10, 2, 10, 0.5))
  t.equal(threads.length, 2)
  t.same(threads[0], { rxPackets: 10, txPackets: 7, batches: 2, batchedPackets: 10, cpuSeconds: 0 })
  t.equal(threads[1]!.cpuSeconds, 0.5)
})

t.test('a window is the difference of two scrapes, its mean batch batched packets over batches', async (t) => {
  const window = dataThreadDelta(parseDataThreads(scrape(10, 2, 10, 0.5)), parseDataThreads(scrape(110, 12, 90, 0.75)))
  t.equal(window[0]!.rxPackets, 100)
  t.equal(window[1]!.cpuSeconds, 0.25)
  t.equal(meanBatch(window), 8)
})

t.test('no data threads (ts path, coturn): no mean batch', async (t) => {
  t.same(parseDataThreads('sovereign_relay_relayed_packets_total{direction="to_peer"} 99\n'), [])
  t.equal(meanBatch([]), undefined)
})
