/**
 * Resolves `{env: NAME}` references to the variable's value. Runs after the schema check,
 * where the only mappings with a single `env` key are secret references.
 *
 * A reference that cannot be resolved is an error at the path of the field, naming the
 * variable, never the value. The set of fields whose value came from the environment is
 * returned so later rules know not to echo them either.
 */
import type { RawIssue } from './check-schema.js'
import { formatPath, type FieldPath } from './field-path.js'

export type Environment = Readonly<Record<string, string | undefined>>

/** Literal secrets must be at least this long (schema); the same holds for values from the environment. */
const MIN_SECRET_LENGTH = 8

export interface SecretResolution {
  readonly value: unknown
  readonly issues: readonly RawIssue[]
  /** Formatted paths of the fields that were filled from the environment. */
  readonly fromEnv: ReadonlySet<string>
  /** Formatted paths of references left unresolved (missing or empty variables), with the variable name. */
  readonly unresolved: ReadonlyMap<string, string>
}

/**
 * 'error' (the default) refuses missing variables. 'placeholder' fills them with
 * `<unset:NAME>` and reports nothing, so a tool can check the rest of a production file
 * on a machine without its secrets; a config loaded that way must never be run.
 */
export type MissingEnvMode = 'error' | 'placeholder'

export function resolveSecrets(document: unknown, env: Environment, missing: MissingEnvMode = 'error'): SecretResolution {
  const issues: RawIssue[] = []
  const fromEnv = new Set<string>()
  const unresolved = new Map<string, string>()

  const walk = (node: unknown, path: FieldPath): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]))
    if (node === null || typeof node !== 'object') return node
    const record = node as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 1 && keys[0] === 'env' && typeof record['env'] === 'string') return resolve(record['env'], path)
    return Object.fromEntries(keys.map((key) => [key, walk(record[key], [...path, key])]))
  }

  const resolve = (name: string, path: FieldPath): string => {
    const value = env[name]
    if (value === undefined || value.trim() === '') {
      unresolved.set(formatPath(path), name)
      if (missing === 'placeholder') return `<unset:${name}>`
      issues.push(value === undefined
        ? { path, rule: 'env_missing', message: `environment variable ${name} is not set` }
        : { path, rule: 'env_empty', message: `environment variable ${name} is empty` })
      return ''
    }
    // URLs (Redis) are checked by their own rule; every other secret has a minimum length.
    if (path[path.length - 1] !== 'url' && value.length < MIN_SECRET_LENGTH) {
      issues.push({ path, rule: 'secret_too_short', message: `environment variable ${name} holds fewer than ${MIN_SECRET_LENGTH} characters` })
    }
    fromEnv.add(formatPath(path))
    return value
  }

  return { value: walk(document, []), issues, fromEnv, unresolved }
}
