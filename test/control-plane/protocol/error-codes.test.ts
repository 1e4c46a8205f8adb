import t from 'tap'

import { CLOSE_CODES, ERROR_CODES, ERROR_CODE_NAMES, closeCodeOf, type ErrorCode } from '../../../control-plane/protocol/error-codes.js'

t.test('every close code is in the application range 4000-4999 and used once', async (t) => {
  const codes = Object.values(CLOSE_CODES)
  for (const code of codes) t.ok(code >= 4000 && code <= 4999, `${code}`)
  t.equal(new Set(codes).size, codes.length)
})

t.test('the documented close codes keep their numbers', async (t) => {
  t.equal(closeCodeOf('SR_TOKEN_EXPIRED'), 4001)
  t.equal(closeCodeOf('SR_COUNTRY_FORBIDDEN'), 4003)
  t.equal(closeCodeOf('SR_MEETING_NOT_FOUND'), 4004)
  t.equal(closeCodeOf('SR_RATE_LIMITED'), 4008)
  t.equal(closeCodeOf('SR_REMOVED'), 4009)
  t.equal(closeCodeOf('SR_MEETING_ENDED'), 4010)
  t.equal(closeCodeOf('SR_REDIRECT_HOME_REGION'), 4011)
  t.equal(closeCodeOf('SR_NOT_HOST'), undefined, 'in-meeting refusals do not end the session')
})

t.test('every error code is SR_ prefixed and upper case', async (t) => {
  for (const code of ERROR_CODE_NAMES) t.match(code, /^SR_[A-Z_]+$/)
})

t.test('a denied frame may carry every error code and no other', async (t) => {
  const { encodeServerMessage } = await import('../../../control-plane/protocol/codec.js')
  for (const code of ERROR_CODE_NAMES) t.doesNotThrow(() => encodeServerMessage({ type: 'denied', code, message: 'x' }), code)
  t.throws(() => encodeServerMessage({ type: 'denied', code: 'SR_MADE_UP' as ErrorCode, message: 'x' }), /invalid server message/)
})

t.test('PROTOCOL.md documents every error code and close code', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const doc = await readFile(new URL('../../../control-plane/protocol/PROTOCOL.md', import.meta.url), 'utf8')
  for (const code of ERROR_CODE_NAMES) t.ok(doc.includes(code), code)
  for (const close of Object.values(CLOSE_CODES)) t.ok(doc.includes(String(close)), String(close))
})

t.test('PROTOCOL.md lists every error code with its HTTP status and close code', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const doc = await readFile(new URL('../../../control-plane/protocol/PROTOCOL.md', import.meta.url), 'utf8')
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    const close: number | undefined = (spec as { close?: number }).close
    t.ok(doc.includes(`| \`${code}\` | ${spec.status} | ${close ?? '—'} |`), code)
  }
})
