/**
 * Checks a parsed document against the TypeBox schema strictly and explains every
 * failure in operator terms, at the path of the bad field. Defaults from the schema are
 * applied first (Value.Default), so a missing optional section is never an error.
 *
 * The walker covers the schema kinds config/schema.ts uses (Object, Array, String,
 * Number, Integer, Boolean, Literal, Union) and picks the intended variant of a union
 * (`redis: {url}` vs `{sentinel}`) so the message is about that variant, not "no union
 * member matched". TypeBox's own Value.Check has the last word: if it disagrees with
 * the walker, its errors are reported too, so nothing slips through a gap in this file.
 *
 * Values are never echoed for fields marked `secret`, and only short scalar values are
 * echoed elsewhere.
 */
import { Kind, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

import { NetworkConfig } from './schema.js'
import { fromJsonPointer, type FieldPath } from './field-path.js'
import type { ConfigRule } from './config-error.js'

export interface RawIssue {
  readonly path: FieldPath
  readonly rule: ConfigRule
  readonly message: string
}

export interface SchemaResult {
  /** The document with schema defaults applied (a fresh copy; the input is untouched). */
  readonly value: unknown
  readonly issues: readonly RawIssue[]
}

export function checkSchema(document: unknown): SchemaResult {
  // Keys that would reach an object's prototype when copied are refused before any copy.
  const hostile = prototypeKeys(document, [])
  if (hostile.length > 0) return { value: document, issues: hostile }
  const value = Value.Default(NetworkConfig, Value.Clone(document))
  const issues: RawIssue[] = []
  visit(NetworkConfig, value, [], issues, false)
  if (issues.length === 0 && !Value.Check(NetworkConfig, value)) {
    for (const error of Value.Errors(NetworkConfig, value)) {
      issues.push({ path: fromJsonPointer(error.path, value), rule: 'schema', message: error.message })
    }
  }
  return { value, issues }
}

type Schema = TSchema & Record<string, unknown>

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

function prototypeKeys(node: unknown, path: FieldPath): RawIssue[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => prototypeKeys(item, [...path, index]))
  if (node === null || typeof node !== 'object') return []
  return Object.keys(node).flatMap((key) =>
    PROTOTYPE_KEYS.has(key)
      ? [{ path: [...path, key], rule: 'unknown_key' as const, message: 'unknown key (this name is never valid here)' }]
      : prototypeKeys((node as Record<string, unknown>)[key], [...path, key]))
}

function kindOf(schema: TSchema): string {
  return (schema as unknown as Record<symbol, string>)[Kind] ?? 'Unknown'
}

function visit(schema: TSchema, value: unknown, path: FieldPath, issues: RawIssue[], secret: boolean): void {
  const s = schema as Schema
  const isSecret = secret || s['secret'] === true
  const fail = (message: string, rule: ConfigRule = 'schema'): void => {
    issues.push({ path, rule, message })
  }
  switch (kindOf(schema)) {
    case 'Object': {
      if (!isPlainObject(value)) return fail(`must be a mapping (${describeExpected(schema)}), got ${describeValue(value, isSecret)}`)
      const properties = (s['properties'] ?? {}) as Record<string, TSchema>
      const required = new Set((s['required'] as string[] | undefined) ?? [])
      for (const key of Object.keys(value)) {
        if (!(key in properties)) {
          const known = Object.keys(properties)
          const hint = closest(key, known)
          issues.push({
            path: [...path, key],
            rule: 'unknown_key',
            message: `unknown key${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; allowed here: ${known.join(', ')}`,
          })
        }
      }
      for (const [key, propertySchema] of Object.entries(properties)) {
        const child = value[key]
        if (child === undefined) {
          if (required.has(key)) issues.push({ path: [...path, key], rule: 'schema', message: `is required (${describeExpected(propertySchema)})` })
          continue
        }
        visit(propertySchema, child, [...path, key], issues, isSecret)
      }
      return
    }
    case 'Array': {
      if (!Array.isArray(value)) return fail(`must be a list, got ${describeValue(value, isSecret)}`)
      const min = s['minItems'] as number | undefined
      if (min !== undefined && value.length < min) fail(`must have at least ${min} ${min === 1 ? 'entry' : 'entries'}`)
      value.forEach((item, index) => visit(s['items'] as TSchema, item, [...path, index], issues, isSecret))
      return
    }
    case 'String': {
      if (typeof value !== 'string') return fail(`must be ${describeExpected(schema)}, got ${describeValue(value, isSecret)}`)
      const minLength = s['minLength'] as number | undefined
      if (minLength !== undefined && value.length < minLength) {
        return fail(`must be at least ${minLength} characters long${isSecret ? '' : `, got ${describeValue(value, false)}`}`, isSecret ? 'secret_too_short' : 'schema')
      }
      const pattern = s['pattern'] as string | undefined
      if (pattern !== undefined && !new RegExp(pattern).test(value)) fail(`must be ${describeExpected(schema)}, got ${describeValue(value, isSecret)}`)
      return
    }
    case 'Integer':
    case 'Number': {
      const integer = kindOf(schema) === 'Integer'
      if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
        return fail(`must be ${integer ? 'an integer' : 'a number'}, got ${describeValue(value, isSecret)}`)
      }
      const minimum = s['minimum'] as number | undefined
      const maximum = s['maximum'] as number | undefined
      if ((minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum)) {
        fail(`must be ${range(minimum, maximum)}, got ${value}`)
      }
      return
    }
    case 'Boolean':
      if (typeof value !== 'boolean') fail(`must be true or false, got ${describeValue(value, isSecret)}`)
      return
    case 'Literal':
      if (value !== s['const']) fail(`must be ${JSON.stringify(s['const'])}, got ${describeValue(value, isSecret)}`)
      return
    case 'Union': {
      const variants = s['anyOf'] as TSchema[]
      if (variants.some((variant) => Value.Check(variant, value))) return
      if (variants.every((variant) => kindOf(variant) === 'Literal')) {
        const options = variants.map((variant) => JSON.stringify((variant as Schema)['const'])).join(', ')
        return fail(`must be one of ${options}, got ${describeValue(value, isSecret)}`)
      }
      const intended = intendedVariant(variants, value)
      if (intended === undefined) return fail(`must be ${describeExpected(schema)}, got ${describeValue(value, isSecret)}`)
      visit(intended, value, path, issues, isSecret)
      return
    }
    default:
      // A kind this walker does not know: Value.Check in checkSchema reports it.
      return
  }
}

/**
 * The union member the author meant: the one of the right type whose keys cover the
 * most of the value's keys (so `{url: 5}` is judged as a URL mapping, not as a sentinel).
 */
function intendedVariant(variants: readonly TSchema[], value: unknown): TSchema | undefined {
  const sameType = variants.filter((variant) => {
    const kind = kindOf(variant)
    if (kind === 'Object') return isPlainObject(value)
    if (kind === 'String') return typeof value === 'string'
    if (kind === 'Literal') return typeof value === typeof (variant as Schema)['const']
    if (kind === 'Integer' || kind === 'Number') return typeof value === 'number'
    if (kind === 'Array') return Array.isArray(value)
    return false
  })
  if (sameType.length <= 1 || !isPlainObject(value)) return sameType[0]
  const keys = Object.keys(value)
  let best: TSchema | undefined
  let bestScore = -1
  for (const variant of sameType) {
    const properties = Object.keys(((variant as Schema)['properties'] ?? {}) as object)
    const score = keys.filter((key) => properties.includes(key)).length
    if (score > bestScore) {
      best = variant
      bestScore = score
    }
  }
  return bestScore > 0 ? best : undefined
}

function describeExpected(schema: TSchema): string {
  const s = schema as Schema
  if (typeof s['description'] === 'string') return s['description']
  switch (kindOf(schema)) {
    case 'Object': {
      const keys = Object.keys((s['properties'] ?? {}) as object)
      return `a mapping with ${keys.join(', ')}`
    }
    case 'Union':
      return (s['anyOf'] as TSchema[]).map(describeVariant).join(' or ')
    case 'String':
      return s['pattern'] === undefined ? 'a string' : `a string matching /${String(s['pattern'])}/`
    case 'Array':
      return 'a list'
    default:
      return describeVariant(schema)
  }
}

function describeVariant(schema: TSchema): string {
  const s = schema as Schema
  switch (kindOf(schema)) {
    case 'Object': {
      const properties = (s['properties'] ?? {}) as Record<string, TSchema>
      const entries = Object.entries(properties).map(([key, child]) => (kindOf(child) === 'Literal' ? `${key}: ${JSON.stringify((child as Schema)['const'])}` : key))
      return `{${entries.join(', ')}}`
    }
    case 'Literal':
      return JSON.stringify(s['const'])
    case 'String':
      return 'a string'
    case 'Integer':
      return 'an integer'
    case 'Number':
      return 'a number'
    case 'Boolean':
      return 'true or false'
    case 'Array':
      return 'a list'
    default:
      return kindOf(schema).toLowerCase()
  }
}

function describeValue(value: unknown, secret: boolean): string {
  if (value === null) return 'nothing (null)'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (secret) return `a ${typeof value}`
  if (typeof value === 'string') return value.length <= 80 ? JSON.stringify(value) : `a string of ${value.length} characters`
  return String(value)
}

function range(minimum: number | undefined, maximum: number | undefined): string {
  if (minimum !== undefined && maximum !== undefined) return `between ${minimum} and ${maximum}`
  if (minimum !== undefined) return `at least ${minimum}`
  return `at most ${String(maximum)}`
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The known key within edit distance 2 of a misspelt one, if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
