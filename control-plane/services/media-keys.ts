/**
 * Managed key mode (the meeting's media key is generated and kept by its home region):
 * the service calls the signaling layer makes on admission and on `key-rotation-needed`.
 *
 * - The key lives only in the home region's Redis, inside the meeting record's `data`
 *   (`mediaKey`), sealed at rest with AES-256-GCM under the region KEK
 *   (control-plane/keys/at-rest.ts). Changes go through the record's optimistic version,
 *   so two nodes rotating at once end with one new version, not two.
 * - Each admitted participant receives the key sealed to its X25519 public key with HPKE
 *   (control-plane/keys/seal-key.ts); the control plane never sends it in the clear.
 * - Every generation, delivery and rotation is a decision in the meeting's audit stream.
 *
 * Without a KEK the node refuses managed-mode key delivery (SR_KEY_UNAVAILABLE, which
 * ends the participant's session with close 4018) rather than store a key unprotected;
 * the HTTP API refuses to create such meetings in the first place (`available`).
 */
import { openAtRest, sealAtRest, type RegionKek, type StoredMediaKey } from '../keys/at-rest.js'
import { generateMediaKey, rotateMediaKey, type MediaKey } from '../keys/media-key.js'
import { sealMediaKey } from '../keys/seal-key.js'
import { sovereignError } from '../errors.js'
import type { SealedKeyMessage } from '../protocol/common.js'
import type { RegionState } from '../../state/region-state.js'
import type { MeetingRecord } from '../../state/meetings.js'

export interface MediaKeyServiceOptions {
  readonly region: string
  readonly nodeId: string
  readonly state: RegionState
  /** Newest first: the first seals, any opens. Empty: managed mode is refused. */
  readonly keks: () => readonly RegionKek[]
  readonly now?: () => number
}

export interface KeyDelivery {
  readonly version: number
  readonly sealed: SealedKeyMessage
}

export class MediaKeyService {
  readonly #o: MediaKeyServiceOptions
  readonly #now: () => number

  constructor(options: MediaKeyServiceOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
  }

  /** Whether this region can seal media keys now (a KEK is configured); managed-mode meetings need it. */
  get available(): boolean {
    return this.#o.keks().length > 0
  }

  /** Throws SR_KEY_MODE_UNAVAILABLE (422) when a meeting asks for managed mode and this region has no KEK. */
  assertKeyMode(keyMode: 'e2ee' | 'managed' | undefined): void {
    if (keyMode === 'managed' && !this.available) throw sovereignError('SR_KEY_MODE_UNAVAILABLE')
  }

  /** The current key sealed to one admitted participant; generates version 1 on first use. */
  async deliver(meetingId: string, participant: { readonly participantId: string; readonly publicKey: string }): Promise<KeyDelivery> {
    const key = await this.#current(meetingId, (stored) => (stored ? undefined : generateMediaKey(meetingId)), 'key-generated')
    const sealed = await sealMediaKey(key, participant)
    await this.#audit(meetingId, 'key-delivery', `version ${key.version}`, participant.participantId)
    return { version: key.version, sealed }
  }

  /** A new key version (someone left or was removed); returns it so the caller delivers it to those still admitted. */
  async rotate(meetingId: string, reason: 'participant-left' | 'participant-removed' | 'scheduled'): Promise<{ readonly version: number }> {
    const key = await this.#current(meetingId, (stored) => (stored ? rotateMediaKey(stored) : generateMediaKey(meetingId)), 'key-rotation', reason)
    return { version: key.version }
  }

  /** Reads the stored key; `next` returns a key to store instead (or undefined to keep it). */
  async #current(meetingId: string, next: (stored: MediaKey | undefined) => MediaKey | undefined, kind: string, why?: string): Promise<MediaKey> {
    const keks = this.#o.keks()
    if (keks.length === 0) throw sovereignError('SR_KEY_UNAVAILABLE', 'this region has no key-encryption key for managed mode')
    for (let attempt = 0; attempt < 8; attempt++) {
      const record = await this.#o.state.meetings.get(meetingId)
      if (!record) throw sovereignError('SR_MEETING_NOT_FOUND')
      if (record.status === 'ended') throw sovereignError('SR_MEETING_ENDED')
      if (record.settings.keyMode !== 'managed') throw sovereignError('SR_MEETING_STATE_CONFLICT', 'the meeting is not in managed key mode')
      const stored = storedKey(record)
      const current = stored ? openAtRest(stored, meetingId, keks) : undefined
      const replacement = next(current)
      if (!replacement) return current!
      const data = { ...(record.data ?? {}), mediaKey: sealAtRest(replacement, keks[0]!) }
      const outcome = await this.#o.state.meetings.update(meetingId, record.version, { data })
      if (outcome.ok) {
        await this.#audit(meetingId, kind, `version ${replacement.version}${why ? ` (${why})` : ''}`)
        return replacement
      }
      if (outcome.refusal !== 'version_conflict') throw sovereignError(outcome.refusal === 'ended' ? 'SR_MEETING_ENDED' : 'SR_MEETING_NOT_FOUND')
    }
    throw sovereignError('SR_MEETING_STATE_CONFLICT', 'too many concurrent key changes')
  }

  async #audit(meetingId: string, kind: string, detail: string, participantId?: string): Promise<void> {
    await this.#o.state.audit.append(meetingId, {
      at: this.#now(), actor: this.#o.nodeId, region: this.#o.region, kind, allow: true, reason: 'home_region', detail,
      ...(participantId === undefined ? {} : { participantId }),
    })
  }
}

function storedKey(record: MeetingRecord): StoredMediaKey | undefined {
  const value = record.data?.mediaKey
  return typeof value === 'object' && value !== null ? (value as StoredMediaKey) : undefined
}
