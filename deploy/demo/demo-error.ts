/** The demo's errors: a stable code and a message fit for one line of a terminal. */
import { CodedError } from '../../geo/coded-error.js'

export type DemoErrorCode =
  | 'ERR_DEMO_NO_NETWORK' // nothing answers at the control-plane URL
  | 'ERR_DEMO_HTTP' // the control plane answered a tenant API call with an unexpected status
  | 'ERR_DEMO_TIMEOUT' // an awaited event did not happen in time

export class DemoError extends CodedError<DemoErrorCode> {}

/** `promise`, or a DemoError naming `what` once `ms` have passed. */
export function within<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DemoError('ERR_DEMO_TIMEOUT', `timed out after ${ms} ms: ${what}`)), ms)
    timer.unref()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
