/**
 * Packets from implementations nobody here wrote, captured on loopback by
 * test/relay/testdata/capture-*.ts: libjuice (the ICE agent inside libdatachannel) as a
 * client, coturn 4.6.1 as a server. Decoding them, and verifying their integrity with
 * keys we derive, is the codec's interop evidence; coturn accepting our signed requests
 * (these are its success responses to them) is the encoder's.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { CredentialVerifier } from '../../../relay/auth/credential-verifier.js'
import { turnPassword } from '../../../relay/auth/credentials.js'
import {
  Attr,
  MessageClass,
  Method,
  TRANSPORT_UDP,
  decodeErrorCode,
  decodeLifetime,
  decodeMessage,
  decodeNonce,
  decodeRealm,
  decodeRequestedTransport,
  decodeSoftware,
  decodeUsername,
  decodeXorAddress,
  getAttribute,
  longTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '../../../relay/proto/index.js'
import { loadHex } from '../testdata/hex.js'

const json = (name: string) => JSON.parse(readFileSync(new URL(`../testdata/${name}.json`, import.meta.url), 'utf8')) as { secret: string; realm: string; username: string; nonce?: string }

const libjuice = json('libjuice-capture')
const coturn = json('coturn-capture')
const coturnKey = longTermKey(coturn.username, coturn.realm, turnPassword(coturn.secret, coturn.username))
const attr = (m: ReturnType<typeof decodeMessage>, type: number) => getAttribute(m, type)!.value

t.test('libjuice opens with an unauthenticated Allocate for UDP with a valid fingerprint', async (t) => {
  const m = decodeMessage(loadHex('libjuice-allocate-request'))
  t.equal(m.method, Method.Allocate)
  t.equal(m.cls, MessageClass.Request)
  t.equal(decodeRequestedTransport(attr(m, Attr.RequestedTransport)), TRANSPORT_UDP)
  t.equal(decodeSoftware(attr(m, Attr.Software)), 'libjuice')
  t.ok(decodeLifetime(attr(m, Attr.Lifetime)) > 0)
  t.equal(getAttribute(m, Attr.MessageIntegrity), undefined)
  t.ok(verifyFingerprint(m))
})

t.test('libjuice signs its retried Allocate with the REST credential and our realm and nonce', async (t) => {
  const m = decodeMessage(loadHex('libjuice-allocate-signed'))
  t.equal(decodeUsername(attr(m, Attr.Username)), libjuice.username)
  t.equal(decodeRealm(attr(m, Attr.Realm)), libjuice.realm)
  t.equal(decodeNonce(attr(m, Attr.Nonce)), libjuice.nonce)
  const key = longTermKey(libjuice.username, libjuice.realm, turnPassword(libjuice.secret, libjuice.username))
  t.ok(verifyMessageIntegrity(m, key), 'its MESSAGE-INTEGRITY verifies with the key we derive')
  t.ok(verifyFingerprint(m))
  const verifier = new CredentialVerifier({
    secrets: [{ id: 'retired', value: 'another-secret' }, { id: 'current', value: libjuice.secret }],
    realm: libjuice.realm,
    requireMeeting: true,
    now: () => Date.UTC(2026, 0, 1),
  })
  const verdict = verifier.verify(m, libjuice.username)
  t.ok(verdict.ok && verdict.secretId === 'current' && verdict.identity.participantId === 'p_capture', 'the rotating verifier accepts it')
  const tampered = Buffer.from(m.raw)
  tampered[tampered.length - 40]! ^= 1
  t.notOk(verifyMessageIntegrity(decodeMessage(tampered), key), 'one changed bit breaks it')
})

t.test('coturn challenges with 401, REALM and NONCE', async (t) => {
  const m = decodeMessage(loadHex('coturn-allocate-401'))
  t.equal(m.cls, MessageClass.ErrorResponse)
  t.same(decodeErrorCode(attr(m, Attr.ErrorCode)), { code: 401, reason: 'Unauthorized' })
  t.equal(decodeRealm(attr(m, Attr.Realm)), coturn.realm)
  t.ok(decodeNonce(attr(m, Attr.Nonce)).length > 0)
  t.ok(verifyFingerprint(m))
})

t.test('coturn grants our signed Allocate with relayed and mapped addresses under its integrity', async (t) => {
  const m = decodeMessage(loadHex('coturn-allocate-success'))
  t.equal(m.cls, MessageClass.SuccessResponse)
  const relayed = decodeXorAddress(attr(m, Attr.XorRelayedAddress), m.transactionId)
  t.equal(relayed.address, '127.0.0.1')
  t.ok(relayed.port >= 51000 && relayed.port <= 51100, `relayed port ${relayed.port} is in coturn's configured range`)
  t.equal(decodeXorAddress(attr(m, Attr.XorMappedAddress), m.transactionId).address, '127.0.0.1')
  t.equal(decodeLifetime(attr(m, Attr.Lifetime)), 600)
  t.ok(verifyMessageIntegrity(m, coturnKey))
  t.ok(verifyFingerprint(m))
})

t.test('coturn accepts our CreatePermission, ChannelBind and deleting Refresh', async (t) => {
  for (const [name, method] of [['coturn-create-permission-success', Method.CreatePermission], ['coturn-channel-bind-success', Method.ChannelBind], ['coturn-refresh-delete-success', Method.Refresh]] as const) {
    const m = decodeMessage(loadHex(name))
    t.equal(m.method, method, name)
    t.equal(m.cls, MessageClass.SuccessResponse, name)
    t.ok(verifyMessageIntegrity(m, coturnKey) && verifyFingerprint(m), `${name} verifies`)
  }
  t.equal(decodeLifetime(attr(decodeMessage(loadHex('coturn-refresh-delete-success')), Attr.Lifetime)), 0)
})

t.test('coturn answers a channel number below 0x4000 with 400', async (t) => {
  const m = decodeMessage(loadHex('coturn-channel-bind-400'))
  t.equal(m.cls, MessageClass.ErrorResponse)
  t.equal(decodeErrorCode(attr(m, Attr.ErrorCode)).code, 400)
  t.ok(verifyMessageIntegrity(m, coturnKey) && verifyFingerprint(m))
})
