/**
 * Ids name things in logs, metrics, Redis keys and meeting ids, so each must name one
 * thing: region, tenant, jurisdiction and relay ids are unique across the whole network,
 * API key ids are unique across tenants and admin, and no key hash belongs to two owners.
 */
import type { RawIssue } from '../check-schema.js'
import { duplicates, formatPath, type Located, type Rule } from './rule-context.js'

const duplicateId = (what: string) => (entry: Located<string>, first: Located<string>): RawIssue => ({
  path: entry.path,
  rule: 'duplicate_id',
  message: `duplicate ${what} id "${entry.value}" (first at ${formatPath(first.path)})`,
})

const byValue = (value: string): string => value

export const identityRules: Rule = ({ config }) => {
  const issues: RawIssue[] = []
  issues.push(...duplicates(config.regions.map((r, i) => ({ value: r.id, path: ['regions', i, 'id'] })), byValue, duplicateId('region')))
  issues.push(...duplicates(config.tenants.map((t, i) => ({ value: t.id, path: ['tenants', i, 'id'] })), byValue, duplicateId('tenant')))
  issues.push(...duplicates(config.jurisdictions.map((j, i) => ({ value: j.id, path: ['jurisdictions', i, 'id'] })), byValue, duplicateId('jurisdiction')))

  const relays = config.regions.flatMap((region, r) => region.relays.map((relay, i) => ({ value: relay.id, path: ['regions', r, 'relays', i, 'id'] })))
  issues.push(...duplicates(relays, byValue, duplicateId('relay')))

  config.regions.forEach((region, r) => {
    const secrets = region.relaySecrets.map((secret, i) => ({ value: secret.id, path: ['regions', r, 'relaySecrets', i, 'id'] }))
    issues.push(...duplicates(secrets, byValue, duplicateId('relay secret')))
  })

  const keys = [
    ...config.tenants.flatMap((tenant, t) => tenant.apiKeys.map((key, i) => ({ value: key, path: ['tenants', t, 'apiKeys', i] }))),
    ...config.admin.apiKeys.map((key, i) => ({ value: key, path: ['admin', 'apiKeys', i] })),
  ]
  issues.push(...duplicates(keys, (key) => key.id, (entry, first) => ({
    path: [...entry.path, 'id'],
    rule: 'duplicate_id',
    message: `duplicate API key id "${entry.value.id}" (first at ${formatPath([...first.path, 'id'])})`,
  })))
  issues.push(...duplicates(keys, (key) => key.sha256, (entry, first) => ({
    path: [...entry.path, 'sha256'],
    rule: 'duplicate_api_key',
    message: `the same API key hash is already listed at ${formatPath([...first.path, 'sha256'])}; one key must have one owner`,
  })))
  return issues
}
