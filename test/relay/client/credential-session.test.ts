import t from 'tap'
import { randomBytes } from 'node:crypto'

import { CredentialSession, MAX_AUTH_RETRIES } from '../../../relay/client/credential-session.js'
import { TurnClientError } from '../../../relay/client/turn-client-error.js'
import {
  Attr,
  MessageClass,
  Method,
  decodeMessage,
  encodeErrorCode,
  encodeMessage,
  encodeNonce,
  encodeRealm,
  longTermKey,
  type AttributeInput,
  type StunMessage,
} from '../../../relay/proto/index.js'

const error = (code: number, extra: AttributeInput[] = []): StunMessage =>
  decodeMessage(encodeMessage({
    method: Method.Allocate,
    cls: MessageClass.ErrorResponse,
    transactionId: randomBytes(12),
    attributes: [{ type: Attr.ErrorCode, value: encodeErrorCode(code, 'x') }, ...extra],
  }))
const challenge = (code: number, nonce: string, realm?: string): StunMessage =>
  error(code, [...(realm ? [{ type: Attr.Realm, value: encodeRealm(realm) }] : []), { type: Attr.Nonce, value: encodeNonce(nonce) }])
const success = (key?: Buffer): StunMessage =>
  decodeMessage(encodeMessage({ method: Method.Allocate, cls: MessageClass.SuccessResponse, transactionId: randomBytes(12), attributes: [] }, key ? { integrityKey: key } : {}))

t.test('a session signs nothing until a 401 teaches it REALM and NONCE, then signs with the long-term key', async (t) => {
  const s = new CredentialSession('alice', 'pw')
  t.equal(s.credentials(), undefined)
  t.same(s.judge(challenge(401, 'n1', 'example.org'), undefined, 0), { kind: 'retry' })
  const cred = s.credentials()!
  t.same({ ...cred, key: cred.key.toString('hex') }, { username: 'alice', realm: 'example.org', nonce: 'n1', key: longTermKey('alice', 'example.org', 'pw').toString('hex') })
  t.equal(s.challenges, 1)
})

t.test('a 401 to a signed request stands: the password is wrong', async (t) => {
  const s = new CredentialSession('alice', 'pw')
  s.judge(challenge(401, 'n1', 'example.org'), undefined, 0)
  t.same(s.judge(challenge(401, 'n2', 'example.org'), s.credentials(), 1), { kind: 'rejected', code: 401, reason: 'x' })
})

t.test('a 438 takes the new NONCE and keeps the REALM, until the retries run out', async (t) => {
  const s = new CredentialSession('alice', 'pw')
  s.judge(challenge(401, 'n1', 'example.org'), undefined, 0)
  t.same(s.judge(challenge(438, 'n2'), s.credentials(), 1), { kind: 'retry' })
  t.equal(s.credentials()!.nonce, 'n2')
  t.equal(s.credentials()!.realm, 'example.org')
  t.equal(s.staleNonces, 1)
  t.equal(s.judge(challenge(438, 'n3'), s.credentials(), MAX_AUTH_RETRIES).kind, 'rejected')
})

t.test('any other error response is the server refusing', async (t) => {
  t.same(new CredentialSession('a', 'b').judge(error(403), undefined, 0), { kind: 'rejected', code: 403, reason: 'x' })
})

t.test('responses that break the RFC are coded ERR_TURN_BAD_RESPONSE', async (t) => {
  const s = new CredentialSession('alice', 'pw')
  t.throws(() => s.judge(error(401), undefined, 0), { code: 'ERR_TURN_BAD_RESPONSE' }, '401 without NONCE')
  const noCode = decodeMessage(encodeMessage({ method: Method.Allocate, cls: MessageClass.ErrorResponse, transactionId: randomBytes(12), attributes: [] }))
  t.throws(() => s.judge(noCode, undefined, 0), new TurnClientError('ERR_TURN_BAD_RESPONSE', 'error response without ERROR-CODE'))
})

t.test("a signed request's success must carry a MESSAGE-INTEGRITY made with the same key", async (t) => {
  const s = new CredentialSession('alice', 'pw')
  s.judge(challenge(401, 'n1', 'example.org'), undefined, 0)
  const cred = s.credentials()!
  t.same(s.judge(success(cred.key), cred, 1), { kind: 'accept' })
  t.throws(() => s.judge(success(longTermKey('alice', 'example.org', 'other')), cred, 1), { code: 'ERR_TURN_BAD_RESPONSE' })
  t.throws(() => s.judge(success(), cred, 1), { code: 'ERR_TURN_BAD_RESPONSE' }, 'unsigned')
  t.same(s.judge(success(), cred, 1, false), { kind: 'accept' }, 'unless the caller does not verify')
  t.same(s.judge(success(), undefined, 0), { kind: 'accept' }, 'an unsigned request needs no signed answer')
})
