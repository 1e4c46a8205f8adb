/** The local network's one error: a stable code and a message fit for one line. */
export type LocalNetworkErrorCode = 'ERR_LOCAL_PORT_IN_USE' | 'ERR_LOCAL_CONFIG_NOT_FOUND' | 'ERR_LOCAL_PREFIX_IN_USE'

export class LocalNetworkError extends Error {
  readonly code: LocalNetworkErrorCode
  constructor(code: LocalNetworkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LocalNetworkError'
    this.code = code
  }
}
