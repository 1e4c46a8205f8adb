import t from 'tap'

import { CliError } from '../../cli/cli-error.js'
import { ConfigError } from '../../config/config-error.js'
import { ConfigStoreError } from '../../config/config-store.js'
import { ControlPlaneError } from '../../control-plane/control-plane-error.js'
import { toHttpError } from '../../control-plane/errors.js'
import { ControlPlaneNodeError } from '../../control-plane/node.js'
import { DemoError } from '../../deploy/demo/demo-error.js'
import { LocalNetworkError } from '../../deploy/local/local-network-error.js'
import { CodedError, isCodedError } from '../../geo/coded-error.js'
import { GeoError } from '../../geo/errors.js'
import { TurnClientError } from '../../relay/client/turn-client.js'
import { CredentialError, RelayError, StunDecodeError } from '../../relay/errors.js'
import { PeerPolicyError } from '../../relay/peer-safety/index.js'
import { MeetingNotHomedHereError, StateError, StateUnavailableError } from '../../state/errors.js'

t.test('a coded error carries its code, its cause and its own class name', async (t) => {
  const cause = new Error('ECONNREFUSED')
  const err = new CodedError('ERR_EXAMPLE', 'it broke', { cause })
  t.equal(err.code, 'ERR_EXAMPLE')
  t.equal(err.message, 'it broke')
  t.equal(err.cause, cause)
  t.equal(err.name, 'CodedError')
  t.ok(err instanceof Error)
  t.match(err.stack, /^CodedError: it broke/)
})

t.test("every layer's errors are coded errors, named after their class", async (t) => {
  const errors: Array<[CodedError, string, string]> = [
    [new GeoError('GEO_CIDR_INVALID', 'x'), 'GeoError', 'GEO_CIDR_INVALID'],
    [new ConfigError('CONFIG_INVALID', 'network.yaml', []), 'ConfigError', 'CONFIG_INVALID'],
    [new ConfigStoreError('CONFIG_STORE_CLOSED', 'x'), 'ConfigStoreError', 'CONFIG_STORE_CLOSED'],
    [new StateError('ERR_STATE_CORRUPT', 'x'), 'StateError', 'ERR_STATE_CORRUPT'],
    [new StateUnavailableError('eu-central'), 'StateUnavailableError', 'ERR_STATE_UNAVAILABLE'],
    [new MeetingNotHomedHereError('m', 'eu-central'), 'MeetingNotHomedHereError', 'ERR_STATE_NOT_HOMED_HERE'],
    [new RelayError('ERR_TLS_FILE', 'x'), 'RelayError', 'ERR_TLS_FILE'],
    [new StunDecodeError('ERR_STUN_TOO_SHORT', 'x'), 'StunDecodeError', 'ERR_STUN_TOO_SHORT'],
    [new CredentialError('ERR_CRED_EXPIRED', 'x'), 'CredentialError', 'ERR_CRED_EXPIRED'],
    [new PeerPolicyError('x'), 'PeerPolicyError', 'ERR_PEER_POLICY_CIDR'],
    [new ControlPlaneError('ERR_CP_CLOSED', 'x'), 'ControlPlaneError', 'ERR_CP_CLOSED'],
    [new ControlPlaneNodeError('ERR_CP_LISTEN_MISSING', 'x'), 'ControlPlaneNodeError', 'ERR_CP_LISTEN_MISSING'],
    [new CliError('ERR_CLI_OPTION', 'x'), 'CliError', 'ERR_CLI_OPTION'],
    [new DemoError('ERR_DEMO_TIMEOUT', 'x'), 'DemoError', 'ERR_DEMO_TIMEOUT'],
    [new LocalNetworkError('ERR_LOCAL_PORT_IN_USE', 'x'), 'LocalNetworkError', 'ERR_LOCAL_PORT_IN_USE'],
    [new TurnClientError('ERR_TURN_TIMEOUT', 'x'), 'TurnClientError', 'ERR_TURN_TIMEOUT'],
  ]
  for (const [err, name, code] of errors) {
    t.ok(isCodedError(err), `${name} is a CodedError`)
    t.equal(err.name, name)
    t.equal(err.code, code)
  }
  t.notOk(isCodedError(Object.assign(new Error('x'), { code: 'ENOENT' })), 'a system error with a code is not one of ours')
})

t.test('the relay error codes are a closed union', async (t) => {
  // @ts-expect-error a code that is not in one of relay/errors.ts's lists does not type-check
  const err = new RelayError('ERR_MADE_UP', 'x')
  t.equal(err.code, 'ERR_MADE_UP', 'at run time the class does not check; the type checker does')
})

t.test("a control plane's own error reaches an HTTP client as SR_INTERNAL, its message kept inside", async (t) => {
  const http = toHttpError(new ControlPlaneError('ERR_CP_CLOSED', 'MeetingService is closed'))
  t.equal(http.statusCode, 500)
  t.equal(http.body.code, 'SR_INTERNAL')
  t.notMatch(http.body.message, /MeetingService/)
})
