/** `host:port` and `[v6]:port` listen addresses, as the CLI and config write them. */
import { parseIp } from '../../geo/address/ip-address.js'
import { RelayError } from '../errors.js'

export interface HostPort {
  host: string
  port: number
  family: 4 | 6
}

export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const m = bracketed ?? /^([^:[\]]+)(?::(\d+))?$/.exec(text)
  const host = m?.[1]
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort
  // The project's one parser: a listen address the config would refuse (a zone id, say) is
  // refused here too; brackets hold IPv6 only (RFC 3986 §3.2.2), as in the config.
  const family = host ? parseIp(host, new Uint8Array(16)) : 0
  if (!host || family === 0 || (bracketed !== null) !== (family === 6) || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RelayError('ERR_RELAY_SETUP', `not an IP host:port (IPv6 as [::1]:3478): ${text}`)
  }
  return { host, port, family: family as 4 | 6 }
}

export function formatHostPort(h: { host: string; port: number }): string {
  return h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`
}
