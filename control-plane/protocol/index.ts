/** The signaling protocol, sovereign.signal.v1: import from here on either end. See PROTOCOL.md. */
export * from './version.js'
export * from './error-codes.js'
export * from './common.js'
export * from './client-messages.js'
export * from './server-messages.js'
export * from './codec.js'
