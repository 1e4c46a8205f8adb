import t from 'tap'
import { Registry } from 'prom-client'

import { scrapeCounter } from '../../platform/scrape-counter.js'

t.test('a scrape counter is a counter that shows the source running total at each scrape', async (t) => {
  const registry = new Registry()
  let total = 0
  scrapeCounter({ name: 'x_dropped_total', help: 'h', registers: [registry], read: () => total })
  t.match(await registry.metrics(), /^# TYPE x_dropped_total counter$/m)
  t.match(await registry.metrics(), /^x_dropped_total 0$/m)
  total = 7
  t.match(await registry.metrics(), /^x_dropped_total 7$/m)
  total = 9
  t.match(await registry.metrics(), /^x_dropped_total 9$/m, 'not 7 + 9: the source is a running total')
})
