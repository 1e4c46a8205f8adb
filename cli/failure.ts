/**
 * What `sovereign` prints when a command fails: one line an operator can act on — the
 * message and its stable code, and the cause's code when it has one (ENOENT, EADDRINUSE,
 * ERR_OSSL_…) — not a stack trace. SOVEREIGN_DEBUG=1 adds the stack for a bug report.
 */
export function describeFailure(err: unknown, debug = process.env.SOVEREIGN_DEBUG === '1'): string {
  if (!(err instanceof Error)) return `sovereign: ${String(err)}`
  const code = (err as { code?: unknown }).code
  const cause = err.cause instanceof Error ? (err.cause as { code?: unknown }).code : undefined
  const codes = [code, cause].filter((c): c is string => typeof c === 'string' && !err.message.includes(c))
  const line = `sovereign: ${err.message}${codes.length > 0 ? ` [${codes.join(', ')}]` : ''}`
  return debug && err.stack ? `${line}\n${err.stack}` : line
}
