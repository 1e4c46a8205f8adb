/**
 * Every Redis store call goes through `guarded`: after close it rejects with
 * StateClosedError, and any Redis failure becomes a coded StateError (toStateError),
 * so callers see exactly one kind of failure and can fail closed on it.
 */
import { StateClosedError, toStateError } from '../errors.js'

export interface Guard {
  readonly region: string
  closed: boolean
}

export async function guarded<T>(guard: Guard, fn: () => Promise<T>): Promise<T> {
  if (guard.closed) throw new StateClosedError(guard.region)
  try {
    return await fn()
  } catch (err) {
    throw toStateError(guard.region, err)
  }
}
