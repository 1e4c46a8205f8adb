/**
 * `host:port` as the config writes addresses: `127.1.0.1:3478`, `[::1]:3478`,
 * `0.0.0.0:8080`, and for Redis nodes also `redis-0.internal:6379`.
 */
import { formatIp, parseIp } from '../geo/address/ip-address.js'
import { isLoopbackIp } from '../geo/address/special-ranges.js'

export interface HostPort {
  readonly host: string
  readonly port: number
  /** 'name' for a DNS name (only where names are allowed). */
  readonly family: 'ipv4' | 'ipv6' | 'name'
}

export type HostPortParse = { readonly ok: true; readonly value: HostPort } | { readonly ok: false; readonly reason: string }

const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

export interface HostPortRules {
  /** Accept DNS names as well as IP literals. */
  readonly allowNames?: boolean
  /** Accept port 0 ("any free port"), useful for listen addresses in tests. */
  readonly allowPortZero?: boolean
}

export function parseHostPort(text: string, rules: HostPortRules = {}): HostPortParse {
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0 || text[close + 1] !== ':') return { ok: false, reason: `"${text}" is not host:port; write IPv6 as [::1]:3478` }
    host = text.slice(1, close)
    portText = text.slice(close + 2)
    if (parseIp(host, new Uint8Array(16)) !== 6) return { ok: false, reason: `"${text}": "${host}" is not an IPv6 address` }
  } else {
    const colon = text.lastIndexOf(':')
    if (colon < 0) return { ok: false, reason: `"${text}" is not host:port (the port is missing)` }
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
    if (host.includes(':')) return { ok: false, reason: `"${text}": write an IPv6 address in brackets, e.g. [${host}]:${portText}` }
  }
  if (!/^(0|[1-9][0-9]{0,4})$/.test(portText)) return { ok: false, reason: `"${text}": "${portText}" is not a port number` }
  const port = Number(portText)
  if (port > 65535) return { ok: false, reason: `"${text}": port ${port} is above 65535` }
  if (port === 0 && rules.allowPortZero !== true) return { ok: false, reason: `"${text}": port 0 is not allowed here` }

  const bytes = new Uint8Array(16)
  const family = parseIp(host, bytes)
  if (family === 6) return { ok: true, value: { host: formatIp(6, bytes), port, family: 'ipv6' } }
  if (family === 4) return { ok: true, value: { host, port, family: 'ipv4' } }
  if (/^[0-9.]+$/.test(host)) return { ok: false, reason: `"${text}": "${host}" is not a dotted-quad IPv4 address` }
  if (rules.allowNames === true && DNS_NAME.test(host)) return { ok: true, value: { host: host.toLowerCase(), port, family: 'name' } }
  return { ok: false, reason: `"${text}": "${host}" is not an IP address${rules.allowNames === true ? ' or host name' : ''}` }
}

/** A plain IP address (no port), IPv4 dotted quad or IPv6. */
export { isIpAddress } from '../geo/address/ip-address.js'

export function isDnsName(text: string): boolean {
  return DNS_NAME.test(text) && !/^[0-9.]+$/.test(text)
}

export function isWildcard(value: HostPort): boolean {
  return value.host === '0.0.0.0' || value.host === '::'
}

export function isLoopback(value: HostPort): boolean {
  if (value.family === 'name') return value.host === 'localhost'
  const bytes = new Uint8Array(16)
  const family = parseIp(value.host, bytes)
  return family !== 0 && isLoopbackIp(family, bytes)
}

/** One spelling per endpoint, for duplicate detection. */
export function endpointKey(value: HostPort): string {
  return value.family === 'ipv6' ? `[${value.host}]:${value.port}` : `${value.host}:${value.port}`
}
