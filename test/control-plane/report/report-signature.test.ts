import t from 'tap'

import { buildResidencyReport } from '../../../control-plane/report/residency-report.js'
import {
  generateReportKeyPair, reportKeyId, serializeSignedReport, signReport, verifyReport,
} from '../../../control-plane/report/report-signature.js'
import { meeting, T0, trail } from './fixtures/audit-trail.js'

const region = generateReportKeyPair()
const report = buildResidencyReport({ meeting, entries: trail, generatedAt: T0 + 3_600_000, generatedBy: { region: 'eu-west', node: 'cp-eu-1' } })

t.test('a signed report verifies offline with the region\'s public key', async (t) => {
  const signed = signReport(report, region.privateKeyPem)
  t.equal(signed.signature.alg, 'Ed25519')
  t.equal(signed.signature.keyId, region.keyId)
  t.match(region.keyId, /^[0-9a-f]{64}$/)
  const result = verifyReport(serializeSignedReport(signed), region.publicKeyPem)
  t.same(result, { ok: true, keyId: region.keyId, report: JSON.parse(JSON.stringify(report)) })
})

t.test('verification does not depend on whitespace or member order', async (t) => {
  const signed = signReport(report, region.privateKeyPem)
  const reordered = { signature: signed.signature, report: Object.fromEntries(Object.entries(signed.report).reverse()) }
  t.equal(verifyReport(JSON.stringify(reordered), region.publicKeyPem).ok, true)
})

t.test('a tampered report fails verification', async (t) => {
  const signed = JSON.parse(serializeSignedReport(signReport(report, region.privateKeyPem))) as { report: { media: { regions: string[] }, summary: { refused: number }, refusals: { entries: unknown[] } } }
  const cases: Array<[string, (r: typeof signed.report) => void]> = [
    ['a region added to media', (r) => { r.media.regions.push('us-east') }],
    ['a count changed', (r) => { r.summary.refused = 0 }],
    ['a refusal deleted', (r) => { r.refusals.entries.pop() }],
  ]
  for (const [name, tamper] of cases) {
    const copy = structuredClone(signed)
    tamper(copy.report)
    const result = verifyReport(JSON.stringify(copy), region.publicKeyPem)
    t.same(result.ok ? 'ok' : result.code, 'bad_signature', name)
  }
})

t.test('a report re-signed by another key is told apart from a tampered one', async (t) => {
  const other = generateReportKeyPair()
  const forged = signReport(report, other.privateKeyPem)
  const result = verifyReport(JSON.stringify(forged), region.publicKeyPem)
  t.same(result.ok ? 'ok' : result.code, 'wrong_key')
  const relabelled = { ...forged, signature: { ...forged.signature, keyId: region.keyId } }
  const relabelledResult = verifyReport(JSON.stringify(relabelled), region.publicKeyPem)
  t.same(relabelledResult.ok ? 'ok' : relabelledResult.code, 'bad_signature', 'claiming the region\'s key id does not help')
})

t.test('malformed and unsupported documents are refused with their own codes', async (t) => {
  const signed = signReport(report, region.privateKeyPem)
  const code = (doc: unknown) => { const r = verifyReport(doc, region.publicKeyPem); return r.ok ? 'ok' : r.code }
  t.equal(code('{not json'), 'malformed')
  t.equal(code({ report }), 'malformed')
  t.equal(code({ ...signed, signature: { ...signed.signature, alg: 'HS256' } }), 'unsupported')
  t.equal(code({ ...signed, report: { ...signed.report, format: 'other' } }), 'unsupported')
  t.equal(verifyReport(signed, 'not a pem').ok, false)
})

t.test('the key id is the SHA-256 of the raw public key', async (t) => {
  const { createHash, createPublicKey } = await import('node:crypto')
  const jwk = createPublicKey(region.publicKeyPem).export({ format: 'jwk' }) as { x: string }
  t.equal(reportKeyId(region.publicKeyPem), createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex'))
})
