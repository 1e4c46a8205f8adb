/**
 * The coded error of the TURN client (relay/client/): every failure a caller may act on
 * carries one of these codes; a server's error response also carries its STUN code.
 */
import { CodedError } from '../../geo/coded-error.js'

export type TurnClientErrorCode =
  | 'ERR_TURN_TIMEOUT' // no response after every retransmission (or within the stream timeout)
  | 'ERR_TURN_REJECTED' // an error response the client does not recover from
  | 'ERR_TURN_BAD_RESPONSE' // a response missing what the RFC requires, or failing integrity
  | 'ERR_TURN_CLOSED' // the client was closed with the request outstanding
  | 'ERR_TURN_STATE' // e.g. channelBind before allocate

export class TurnClientError extends CodedError<TurnClientErrorCode> {
  /** The STUN error code when the server answered with an error response. */
  readonly stunCode: number | undefined
  constructor(code: TurnClientErrorCode, message: string, stunCode?: number) {
    super(code, message)
    this.stunCode = stunCode
  }
}
