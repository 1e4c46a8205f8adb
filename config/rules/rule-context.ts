/** What every cross-field rule receives, and a helper they share. */
import type { RawIssue } from '../check-schema.js'
import { formatPath, type FieldPath } from '../field-path.js'
import type { NetworkConfigData } from '../network-config.js'

export interface RuleContext {
  readonly config: NetworkConfigData
  /** Formatted paths of fields whose value came from the environment: never echo them. */
  readonly fromEnv: ReadonlySet<string>
  /** Formatted paths of secret references that could not be resolved (already reported or deliberately skipped). */
  readonly unresolved: ReadonlyMap<string, string>
}

export type Rule = (context: RuleContext) => RawIssue[]

export interface Located<T> {
  readonly value: T
  readonly path: FieldPath
}

/**
 * Every entry whose key was seen before, reported at the later entry and naming the
 * first one, e.g. `regions[2].id: duplicate region id "eu-central" (first at regions[0].id)`.
 */
export function duplicates<T>(entries: readonly Located<T>[], key: (value: T) => string, issue: (entry: Located<T>, first: Located<T>) => RawIssue): RawIssue[] {
  const seen = new Map<string, Located<T>>()
  const issues: RawIssue[] = []
  for (const entry of entries) {
    const k = key(entry.value)
    const first = seen.get(k)
    if (first === undefined) seen.set(k, entry)
    else issues.push(issue(entry, first))
  }
  return issues
}

export { formatPath }
