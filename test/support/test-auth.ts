/**
 * A TurnAuth for tests of the sans-IO server that do not want relay/auth's details:
 * TURN REST passwords (base64 HMAC-SHA1 of the username), usernames
 * `<expiry>:<meetingId>:<participantId>`, and nonces `<issued-ms>` that go stale after
 * `nonceTtlMs` (or are 'invalid' when not numeric). Clock-driven, so no sleeping.
 */
import { createHmac } from 'node:crypto'

import { longTermKey, verifyMessageIntegrity } from '../../relay/proto/index.js'
import type { TurnAuth } from '../../relay/server/index.js'

export function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64')
}

export function testAuth(secret: string, realm: string, nonceTtlMs = 600_000): TurnAuth {
  return {
    issueNonce: (now) => `n${now}`,
    checkNonce: (nonce, now) => {
      const issued = /^n(\d+)$/.exec(nonce)
      if (!issued) return 'invalid'
      return now - Number(issued[1]) < nonceTtlMs ? 'valid' : 'stale'
    },
    verify: (msg, username, now) => {
      const [expiry, meetingId, participantId] = username.split(':')
      if (!expiry || !/^\d+$/.test(expiry)) return { ok: false, code: 'ERR_CRED_MALFORMED' }
      if (Number(expiry) * 1000 <= now) return { ok: false, code: 'ERR_CRED_EXPIRED' }
      const key = longTermKey(username, realm, restPassword(secret, username))
      if (!verifyMessageIntegrity(msg, key)) return { ok: false, code: 'ERR_CRED_UNKNOWN' }
      return { ok: true, key, identity: { username, meetingId, participantId } }
    },
  }
}
