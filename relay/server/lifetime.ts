/**
 * Allocation lifetimes (RFC 8656 §7.2 and §7.3). Allocate: min(requested, maximum),
 * but never below the default. Refresh: 0 deletes; otherwise min(requested, maximum);
 * without LIFETIME the default.
 */
import type { Lifetimes } from './server-core.js'

export function allocateLifetime(requested: number | undefined, l: Lifetimes): number {
  if (requested === undefined) return l.defaultSeconds
  return Math.max(l.defaultSeconds, Math.min(requested, l.maxSeconds))
}

export function refreshLifetime(requested: number | undefined, l: Lifetimes): number {
  if (requested === undefined) return l.defaultSeconds
  return Math.min(requested, l.maxSeconds)
}
