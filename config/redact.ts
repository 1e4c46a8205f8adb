/**
 * A copy of a loaded config that is safe to print, log or show on a dashboard: every
 * field the schema marks `secret` is replaced, except that a URL keeps everything but
 * its password. Driven by the schema, so a secret field added there is covered here.
 */
import { Kind, type TSchema } from '@sinclair/typebox'

import type { NetworkConfig, NetworkConfigData } from './network-config.js'
import { NetworkConfig as NetworkConfigSchema } from './schema.js'

export const REDACTED = '[redacted]'

type Schema = TSchema & Record<string, unknown>

/** Plain data (no lookups), secrets replaced. */
export function redactConfig(config: NetworkConfig | NetworkConfigData): NetworkConfigData {
  return walk(NetworkConfigSchema, config) as NetworkConfigData
}

function walk(schema: TSchema, value: unknown): unknown {
  const s = schema as Schema
  if (s['secret'] === true) return redactValue(value)
  switch ((s as unknown as Record<symbol, string>)[Kind]) {
    case 'Object': {
      if (value === null || typeof value !== 'object') return value
      const properties = (s['properties'] ?? {}) as Record<string, TSchema>
      const out: Record<string, unknown> = {}
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (typeof child === 'function') continue
        const childSchema = properties[key]
        // Keys outside the schema (none in a loaded config) are dropped rather than risked.
        if (childSchema !== undefined) out[key] = walk(childSchema, child)
      }
      return out
    }
    case 'Array':
      return Array.isArray(value) ? value.map((item) => walk(s['items'] as TSchema, item)) : value
    case 'Union': {
      const variants = s['anyOf'] as TSchema[]
      if (value === null || typeof value !== 'object') return value
      const keys = Object.keys(value)
      const variant = variants.find((v) => {
        const properties = (v as Schema)['properties'] as Record<string, unknown> | undefined
        return properties !== undefined && keys.every((key) => key in properties)
      })
      return variant === undefined ? REDACTED : walk(variant, value)
    }
    default:
      return value
  }
}

function redactValue(value: unknown): unknown {
  if (typeof value !== 'string') return REDACTED
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(value)
      if (url.password === '') return value
      url.password = 'redacted'
      return url.toString()
    } catch {
      return REDACTED
    }
  }
  return REDACTED
}
