/** `host:port` and `[v6]:port` listen addresses, as the CLI and config write them. */
import { isIP } from 'node:net'

export interface HostPort {
  host: string
  port: number
  family: 4 | 6
}

export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(text)
  const host = m?.[1]
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort
  const family = host ? isIP(host) : 0
  if (!host || family === 0 || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`not an IP host:port (IPv6 as [::1]:3478): ${text}`)
  }
  return { host, port, family: family as 4 | 6 }
}

export function formatHostPort(h: { host: string; port: number }): string {
  return h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`
}
