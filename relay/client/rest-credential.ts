/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00, as coturn's
 * --use-auth-secret implements it): username `<expiry unix seconds>:<identity>`, password
 * base64(HMAC-SHA1(secret, username)).
 */
import { createHmac } from 'node:crypto'

export interface RestCredential {
  username: string
  password: string
}

export function turnRestCredential(secret: string, identity: string, ttlSeconds = 3600, nowMs = Date.now()): RestCredential {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${identity}`
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') }
}
