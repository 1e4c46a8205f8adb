/**
 * The relay's HTTP side: GET /metrics (Prometheus), /healthz (the process serves),
 * /readyz (it accepts new allocations: 503 while draining, or while a region relay's
 * Redis is unreachable so new allocations cannot be verified). node:http keeps it small;
 * the relay has no other HTTP API.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

import type { Registry } from 'prom-client'

export interface MetricsHttpOptions {
  host: string
  port: number
  registry: Registry
  /** Called before a scrape so batched counters are current. */
  beforeScrape?: () => void
  ready: () => boolean
}

export interface MetricsHttp {
  readonly url: string
  close(): Promise<void>
}

export async function startMetricsHttp(o: MetricsHttpOptions): Promise<MetricsHttp> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if (path === '/metrics') {
      o.beforeScrape?.()
      o.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      )
      return
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
      return
    }
    if (path === '/readyz') {
      const ready = o.ready()
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n')
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = o.host.includes(':') ? `[${o.host}]` : o.host
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
