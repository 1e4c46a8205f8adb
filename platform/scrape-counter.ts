/**
 * A Prometheus counter whose value lives elsewhere (a socket layer's or a queue's running
 * total since start) and is read at scrape time. Such a value only goes up, so it is a
 * counter named `_total` — rate() and increase() handle the reset at a restart — not a
 * gauge that every dashboard and alert has to delta() by hand.
 */
import { Counter, type Registry } from 'prom-client'

export function scrapeCounter(opts: { name: string; help: string; registers: Registry[]; read: () => number }): Counter {
  const { read } = opts
  return new Counter({
    name: opts.name,
    help: opts.help,
    registers: opts.registers,
    collect() {
      // A Counter has no set(): mirror the source's running total.
      this.reset()
      this.inc(read())
    },
  })
}
