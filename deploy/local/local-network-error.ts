/** The local network's one error: a stable code and a message fit for one line. */
import { CodedError } from '../../geo/coded-error.js'

export type LocalNetworkErrorCode = 'ERR_LOCAL_PORT_IN_USE' | 'ERR_LOCAL_CONFIG_NOT_FOUND' | 'ERR_LOCAL_PREFIX_IN_USE'

export class LocalNetworkError extends CodedError<LocalNetworkErrorCode> {}
