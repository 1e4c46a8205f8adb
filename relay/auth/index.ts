/** The public API of relay credentials and nonces. */
export { CredentialError } from '../errors.js'
export {
  type MintOptions,
  type ParseUsernameOptions,
  type TurnCredential,
  type TurnUsername,
  formatTurnUsername,
  mintTurnCredential,
  parseTurnUsername,
  turnPassword,
} from './credentials.js'
export {
  type CredentialCandidate,
  type CredentialFailure,
  type CredentialLookup,
  type CredentialVerdict,
  type CredentialVerifierOptions,
  type TurnIdentity,
  type TurnSecret,
  CredentialVerifier,
} from './credential-verifier.js'
export {
  NONCE_COOKIE,
  type NonceCheck,
  type NonceOptions,
  NonceService,
  type SecurityFeatures,
  nonceSecurityFeatures,
} from './nonce.js'
