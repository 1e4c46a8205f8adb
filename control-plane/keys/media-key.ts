/**
 * The meeting media key of managed key mode: 32 random bytes per version, generated in
 * the home region. Rotation (when someone leaves or is removed, so they cannot read what
 * follows) makes a fresh random key with version + 1; old versions are never derived from.
 */
import { randomBytes } from 'node:crypto'

import { MEDIA_KEY_BYTES } from './hpke-suite.js'

export interface MediaKey {
  readonly meetingId: string
  readonly version: number
  readonly key: Uint8Array
}

export function generateMediaKey(meetingId: string, version = 1): MediaKey {
  if (!Number.isInteger(version) || version < 1) throw new RangeError(`key version must be a positive integer: ${version}`)
  return { meetingId, version, key: new Uint8Array(randomBytes(MEDIA_KEY_BYTES)) }
}

export function rotateMediaKey(current: MediaKey): MediaKey {
  return generateMediaKey(current.meetingId, current.version + 1)
}
