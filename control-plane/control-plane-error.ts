/**
 * The control plane's own failures that are not answers to a client: a node that cannot
 * start, a service used after close, an undecodable message on the region's bus. Client
 * errors are the SR_* catalogue of errors.ts; at that boundary a ControlPlaneError is not
 * one of them, so it becomes SR_INTERNAL without leaking its message.
 */
import { CodedError } from '../geo/coded-error.js'

export type ControlPlaneErrorCode =
  | 'ERR_CP_REGION_UNKNOWN' // the region asked for is not in the config
  | 'ERR_CP_LISTEN_MISSING' // no listen address given or configured
  | 'ERR_CP_LISTEN_INVALID' // the listen address does not parse
  | 'ERR_CP_METRICS_LISTEN_INVALID' // the metrics listen address does not parse
  | 'ERR_CP_CLOSED' // a service or hub was used after close()
  | 'ERR_CP_BUS_UNDECODABLE' // a message on the region's bus is not one this version writes

export class ControlPlaneError<Code extends ControlPlaneErrorCode = ControlPlaneErrorCode> extends CodedError<Code> {}
