/**
 * Managed-mode key-encryption keys (`regions[].mediaKeks`): ids are unique within their
 * region (a sealed media key names the KEK that opens it), and each secret has at least
 * 16 characters, whether written literally or taken from the environment (the HKDF input
 * of control-plane/keys/at-rest.ts). Values are never echoed.
 */
import type { RawIssue } from '../check-schema.js'
import { duplicates, formatPath, type Rule } from './rule-context.js'

/** The least a KEK secret may hold (control-plane/keys/at-rest.ts deriveRegionKek refuses less). */
export const MIN_KEK_SECRET_LENGTH = 16

export const keyRules: Rule = ({ config, fromEnv, unresolved }) => {
  const issues: RawIssue[] = []
  config.regions.forEach((region, r) => {
    const ids = region.mediaKeks.map((kek, i) => ({ value: kek.id, path: ['regions', r, 'mediaKeks', i, 'id'] as const }))
    issues.push(...duplicates(ids, (id) => id, (entry, first) => ({
      path: [...entry.path],
      rule: 'duplicate_id',
      message: `duplicate media KEK id "${entry.value}" (first at ${formatPath([...first.path])})`,
    })))
    region.mediaKeks.forEach((kek, i) => {
      const path = ['regions', r, 'mediaKeks', i, 'value']
      const at = formatPath(path)
      if (unresolved.has(at) || kek.value.length >= MIN_KEK_SECRET_LENGTH) return
      const what = fromEnv.has(at) ? 'the value from the environment' : 'a media KEK'
      issues.push({ path, rule: 'secret_too_short', message: `${what} holds fewer than ${MIN_KEK_SECRET_LENGTH} characters` })
    })
  })
  return issues
}
