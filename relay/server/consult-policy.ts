/**
 * Asking the residency hook. A hook that throws or rejects (Redis down, a bug) fails
 * closed: the request is denied with `policy_unavailable` (→ 403) and the failure is
 * reported on the `policy-failed` event, so operators see it and clients are answered
 * instead of left to time out.
 *
 * A hook that answers synchronously (a standalone relay's open policy, a region relay's
 * cached verdict) gets a synchronous answer back: the request is decided in the turn its
 * datagram arrived in, with no promise or microtask per request.
 */
import { deny, type Verdict } from '../../geo/verdict.js'
import type { ServerCore } from './server-core.js'

export function consultPolicy(s: ServerCore, ask: () => Verdict | Promise<Verdict>): Verdict | Promise<Verdict> {
  let answer: Verdict | Promise<Verdict>
  try {
    answer = ask()
  } catch (err) {
    return failed(s, err)
  }
  return isThenable(answer) ? Promise.resolve(answer).then(undefined, (err: unknown) => failed(s, err)) : answer
}

/** `next(verdict)` now when the verdict is here, or once it is. */
export function withVerdict<T>(verdict: Verdict | Promise<Verdict>, next: (v: Verdict) => T): T | Promise<T> {
  return isThenable(verdict) ? verdict.then(next) : next(verdict)
}

function failed(s: ServerCore, err: unknown): Verdict {
  s.events.emit('policy-failed', err)
  return deny('policy_unavailable', err instanceof Error ? err.message : String(err))
}

function isThenable<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null)?.then === 'function'
}
