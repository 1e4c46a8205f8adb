/**
 * Where an error thrown by a pub/sub handler goes when the owner gave no `onHandlerError`.
 * A malformed message on one of our channels must not crash a relay or a control plane
 * (bad input never crashes a process), so it is reported as a process warning with a
 * stable code rather than rethrown.
 */
export function reportHandlerError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err)
  process.emitWarning(`pub/sub handler failed: ${message}`, { code: 'SOVEREIGN_PUBSUB_HANDLER', detail: err instanceof Error ? err.stack : undefined })
}
