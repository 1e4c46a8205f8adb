/**
 * Signing and offline verification of residency reports: Ed25519 (RFC 8032) over the
 * RFC 8785 canonical JSON of the report, with node:crypto. The key id is the hex SHA-256
 * of the raw 32-byte public key, so an auditor can tell "signed by another key" apart
 * from "signed by this key but altered".
 *
 *   { "report": { ... }, "signature": { "alg": "Ed25519", "canonicalization": "RFC8785",
 *                                       "keyId": "<hex>", "value": "<base64url>" } }
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'

import { canonicalJson } from './canonical-json.js'
import { REPORT_FORMAT, type ResidencyReport } from './residency-report.js'

export interface ReportSignature {
  readonly alg: 'Ed25519'
  readonly canonicalization: 'RFC8785'
  readonly keyId: string
  readonly value: string
}

export interface SignedResidencyReport {
  readonly report: ResidencyReport
  readonly signature: ReportSignature
}

export type ReportVerification =
  | { readonly ok: true; readonly keyId: string; readonly report: ResidencyReport }
  | { readonly ok: false; readonly code: 'malformed' | 'unsupported' | 'wrong_key' | 'bad_signature'; readonly message: string }

export function reportKeyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('report keys are Ed25519')
  // The SPKI DER of an Ed25519 key is a fixed 12-byte prefix followed by the raw key (RFC 8410 §4).
  const raw = key.export({ format: 'der', type: 'spki' }).subarray(12)
  return createHash('sha256').update(raw).digest('hex')
}

export function generateReportKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: reportKeyId(publicKey),
  }
}

export function signReport(report: ResidencyReport, privateKeyPem: string): SignedResidencyReport {
  const privateKey = createPrivateKey(privateKeyPem)
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('report keys are Ed25519')
  const value = sign(null, Buffer.from(canonicalJson(report), 'utf8'), privateKey).toString('base64url')
  return { report, signature: { alg: 'Ed25519', canonicalization: 'RFC8785', keyId: reportKeyId(createPublicKey(privateKey)), value } }
}

/** Pretty JSON for humans; verification canonicalises again, so whitespace and member order do not matter. */
export function serializeSignedReport(signed: SignedResidencyReport): string {
  return `${JSON.stringify(signed, null, 2)}\n`
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Verifies a signed report (JSON text or parsed) against a PEM public key, offline. */
export function verifyReport(signedJson: string | unknown, publicKeyPem: string): ReportVerification {
  let doc: unknown = signedJson
  if (typeof signedJson === 'string') {
    try {
      doc = JSON.parse(signedJson)
    } catch {
      return { ok: false, code: 'malformed', message: 'not JSON' }
    }
  }
  if (!isObject(doc) || !isObject(doc.report) || !isObject(doc.signature)) {
    return { ok: false, code: 'malformed', message: 'expected { report, signature }' }
  }
  const sig = doc.signature
  if (sig.alg !== 'Ed25519' || sig.canonicalization !== 'RFC8785' || doc.report.format !== REPORT_FORMAT) {
    return { ok: false, code: 'unsupported', message: `unsupported alg/canonicalization/format: ${String(sig.alg)}/${String(sig.canonicalization)}/${String(doc.report.format)}` }
  }
  if (typeof sig.value !== 'string' || typeof sig.keyId !== 'string') return { ok: false, code: 'malformed', message: 'signature value or keyId missing' }
  let publicKey: KeyObject
  let keyId: string
  try {
    publicKey = createPublicKey(publicKeyPem)
    keyId = reportKeyId(publicKey)
  } catch (err) {
    return { ok: false, code: 'malformed', message: `public key: ${(err as Error).message}` }
  }
  if (sig.keyId !== keyId) return { ok: false, code: 'wrong_key', message: `report signed by key ${sig.keyId}, not by ${keyId}` }
  let canonical: string
  try {
    canonical = canonicalJson(doc.report)
  } catch (err) {
    return { ok: false, code: 'malformed', message: (err as Error).message }
  }
  const valid = verify(null, Buffer.from(canonical, 'utf8'), publicKey, Buffer.from(sig.value, 'base64url'))
  if (!valid) return { ok: false, code: 'bad_signature', message: 'signature does not match the report: it was altered or signed by someone else' }
  return { ok: true, keyId, report: doc.report as unknown as ResidencyReport }
}
