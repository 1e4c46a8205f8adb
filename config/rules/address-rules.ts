/**
 * Addresses, ranges and URLs: each parses, and nothing is claimed twice.
 *
 * - Geo override CIDRs must not overlap (IPv4, IPv6 and IPv4-mapped IPv6 compared in one
 *   space): with overlaps, which country an address gets would depend on list order.
 * - A range cannot be both an allowed and a denied peer range.
 * - A control plane's trusted proxy ranges parse (overlaps are harmless there).
 * - Listen addresses: two listeners on the same specific address and port collide.
 *   Within a region that always holds. Across regions only loopback endpoints must be
 *   distinct (all regions of the local network share one machine); production regions
 *   run on separate hosts and may repeat e.g. 0.0.0.0:8080. Wildcards and port 0 never
 *   collide here, as they say nothing about which machine or port.
 * - Redis URLs can hold a password and may come from the environment: a URL from the
 *   environment is never echoed, and a literal one only with its password masked.
 */
import type { RawIssue } from '../check-schema.js'
import { cidrsOverlap, overlappingPairs, parseCidr, type Cidr } from '../../geo/address/cidr.js'
import type { FieldPath } from '../field-path.js'
import { endpointKey, isDnsName, isIpAddress, isLoopback, isWildcard, parseHostPort, type HostPort } from '../host-port.js'
import { formatPath, type Located, type Rule } from './rule-context.js'

function parseAll(cidrs: readonly string[], path: FieldPath, issues: RawIssue[]): (Cidr | undefined)[] {
  return cidrs.map((cidr, i) => {
    const parsed = parseCidr(cidr)
    if (parsed.ok) return parsed.cidr
    issues.push({ path: [...path, i], rule: 'cidr_invalid', message: parsed.reason })
    return undefined
  })
}

function cidrRules(config: Parameters<Rule>[0]['config'], issues: RawIssue[]): void {
  const overrides = config.geo.overrides
  const overridePath = (i: number): FieldPath => ['geo', 'overrides', i, 'cidr']
  const overrideRanges = overrides.map((override, i) => {
    const parsed = parseCidr(override.cidr)
    if (parsed.ok) return parsed.cidr
    issues.push({ path: overridePath(i), rule: 'cidr_invalid', message: parsed.reason })
    return undefined
  })
  for (const [a, b] of overlappingPairs(overrideRanges)) {
    const first = overrides[a]
    const second = overrides[b]
    if (first === undefined || second === undefined) continue
    issues.push({
      path: overridePath(b),
      rule: 'cidr_overlap',
      message: `${second.cidr} (${second.country}) overlaps ${first.cidr} (${first.country}) at ${formatPath(overridePath(a))}; overrides must not overlap`,
    })
  }

  config.regions.forEach((region, r) => parseAll(region.controlPlane.trustedProxies, ['regions', r, 'controlPlane', 'trustedProxies'], issues))

  const allow = parseAll(config.relay.allowPeers, ['relay', 'allowPeers'], issues)
  const deny = parseAll(config.relay.denyPeers, ['relay', 'denyPeers'], issues)
  deny.forEach((denied, d) => {
    if (denied === undefined) return
    allow.forEach((allowed, a) => {
      if (allowed !== undefined && cidrsOverlap(allowed, denied)) {
        issues.push({
          path: ['relay', 'denyPeers', d],
          rule: 'cidr_overlap',
          message: `${denied.text} overlaps the allowed peer range ${allowed.text} at relay.allowPeers[${a}]; a range cannot be both allowed and denied`,
        })
      }
    })
  })
}

interface Listener {
  readonly endpoint: HostPort
  readonly region: number
}

function listenRules(config: Parameters<Rule>[0]['config'], issues: RawIssue[]): void {
  const listeners: Located<Listener>[] = []
  const listen = (text: string | undefined, path: FieldPath, region: number): void => {
    if (text === undefined) return
    const parsed = parseHostPort(text, { allowPortZero: true })
    if (!parsed.ok) issues.push({ path, rule: 'address_invalid', message: parsed.reason })
    else listeners.push({ value: { endpoint: parsed.value, region }, path })
  }
  config.regions.forEach((region, r) => {
    listen(region.controlPlane.listen, ['regions', r, 'controlPlane', 'listen'], r)
    listen(region.controlPlane.metricsListen, ['regions', r, 'controlPlane', 'metricsListen'], r)
    region.relays.forEach((relay, i) => {
      const at = ['regions', r, 'relays', i] as const
      relay.listen.forEach((text, l) => listen(text, [...at, 'listen', l], r))
      relay.tls?.listen.forEach((text, l) => listen(text, [...at, 'tls', 'listen', l], r))
      if (relay.tls?.name !== undefined && !isDnsName(relay.tls.name)) {
        issues.push({ path: [...at, 'tls', 'name'], rule: 'address_invalid', message: `"${relay.tls.name}" is not a host name (the name on the relay's certificate)` })
      }
      listen(relay.metrics, [...at, 'metrics'], r)
      if (relay.relayAddress !== undefined && !isIpAddress(relay.relayAddress)) {
        issues.push({ path: [...at, 'relayAddress'], rule: 'address_invalid', message: `"${relay.relayAddress}" is not an IP address` })
      }
      if (relay.publicAddress !== undefined && !isIpAddress(relay.publicAddress) && !isDnsName(relay.publicAddress)) {
        issues.push({ path: [...at, 'publicAddress'], rule: 'address_invalid', message: `"${relay.publicAddress}" is not an IP address or host name` })
      }
    })
  })

  const seen = new Map<string, Located<Listener>[]>()
  for (const entry of listeners) {
    const { endpoint, region } = entry.value
    if (endpoint.port === 0 || isWildcard(endpoint)) continue
    const key = endpointKey(endpoint)
    const earlier = seen.get(key) ?? []
    const clash = earlier.find((other) => other.value.region === region || isLoopback(endpoint))
    if (clash !== undefined) {
      issues.push({ path: entry.path, rule: 'listen_duplicate', message: `${key} is already used at ${formatPath(clash.path)}` })
    }
    seen.set(key, [...earlier, entry])
  }
}

function urlRules({ config, fromEnv, unresolved }: Parameters<Rule>[0], issues: RawIssue[]): void {
  const controlPlanes = new Map<string, FieldPath>()
  config.regions.forEach((region, r) => {
    const path: FieldPath = ['regions', r, 'controlPlane', 'url']
    const text = region.controlPlane.url
    let url: URL
    try {
      url = new URL(text)
    } catch {
      issues.push({ path, rule: 'url_invalid', message: `"${text}" is not a URL` })
      return
    }
    const problem =
      url.protocol !== 'http:' && url.protocol !== 'https:' ? 'must use http or https'
        : url.username !== '' || url.password !== '' ? 'must not carry credentials'
          : url.search !== '' || url.hash !== '' ? 'must not have a query or fragment'
            : url.pathname !== '/' ? 'must be a base URL without a path (redirects append the request path)'
              : undefined
    if (problem !== undefined) {
      issues.push({ path, rule: 'url_invalid', message: `"${text}" ${problem}` })
      return
    }
    const first = controlPlanes.get(url.origin)
    if (first !== undefined) issues.push({ path, rule: 'url_duplicate', message: `${url.origin} is already the control plane of ${formatPath(first.slice(0, 2))}` })
    else controlPlanes.set(url.origin, path)
  })

  config.regions.forEach((region, r) => {
    const redis = region.redis
    if ('url' in redis) {
      const path: FieldPath = ['regions', r, 'redis', 'url']
      if (unresolved.has(formatPath(path))) return
      const problem = redisUrlProblem(redis.url)
      if (problem !== undefined) {
        const shown = fromEnv.has(formatPath(path)) ? 'the URL from the environment' : `"${maskPassword(redis.url)}"`
        issues.push({ path, rule: 'redis_url_invalid', message: `${shown} ${problem}` })
      }
    } else if ('sentinel' in redis || 'cluster' in redis) {
      const [kind, nodes] = 'sentinel' in redis ? (['sentinel', redis.sentinel.nodes] as const) : (['cluster', redis.cluster.nodes] as const)
      nodes.forEach((node, n) => {
        const parsed = parseHostPort(node, { allowNames: true })
        if (!parsed.ok) issues.push({ path: ['regions', r, 'redis', kind, 'nodes', n], rule: 'address_invalid', message: parsed.reason })
      })
    }
  })
}

function redisUrlProblem(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return 'must start with redis:// or rediss://'
  if (url.hostname === '') return 'has no host'
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment'
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/(0|[1-9][0-9]?)$/.test(url.pathname)) return 'must name a database number as its path, e.g. /0'
  return undefined
}

function maskPassword(text: string): string {
  return text.replace(/\/\/.*@/, '//***@')
}

export const addressRules: Rule = (context) => {
  const { config } = context
  const issues: RawIssue[] = []
  cidrRules(config, issues)
  const { min, max } = config.relay.ports
  if (min > max) issues.push({ path: ['relay', 'ports', 'min'], rule: 'port_range', message: `${min} is greater than relay.ports.max (${max})` })
  listenRules(config, issues)
  urlRules(context, issues)
  return issues
}
