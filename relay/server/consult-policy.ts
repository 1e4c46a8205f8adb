/**
 * Asking the residency hook. A hook that throws or rejects (Redis down, a bug) fails
 * closed: the request is denied with `policy_unavailable` (→ 403) and the failure is
 * reported on the `policy-failed` event, so operators see it and clients are answered
 * instead of left to time out.
 */
import { deny, type Verdict } from '../../geo/verdict.js'
import type { ServerCore } from './server-core.js'

export async function consultPolicy(s: ServerCore, ask: () => Verdict | Promise<Verdict>): Promise<Verdict> {
  try {
    return await ask()
  } catch (err) {
    s.events.emit('policy-failed', err)
    return deny('policy_unavailable', err instanceof Error ? err.message : String(err))
  }
}
