/**
 * One STUN request as a handler sees it: the decoded message, the 5-tuple it came on
 * (RFC 8656 §2) and the time it arrived. Its own file so `allocation.ts` can name the
 * request that created it without importing the server core, which imports it back.
 */
import type { StunMessage } from '../proto/message.js'
import type { FiveTuple } from './five-tuple.js'

export interface Request {
  readonly msg: StunMessage
  readonly tuple: FiveTuple
  readonly tupleKey: string
  readonly now: number
}
