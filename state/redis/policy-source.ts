/** The relay's one-round-trip policy read, from the meeting's home region's Redis. */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import type { PolicySnapshot, PolicySource } from '../policy.js'
import { decodeMeeting } from '../codec.js'
import { revocationInForce } from '../revocation.js'
import { runScript } from '../scripts.js'
import { guarded, type Guard } from './guard.js'

export function createRedisPolicySource(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): PolicySource {
  return {
    region: keys.region,
    snapshot: (meetingId) =>
      guarded(guard, async (): Promise<PolicySnapshot | undefined> => {
        const k = keys.meeting(meetingId)
        const r = (await runScript(conn.command, 'policy-snapshot', [k.meeting, k.endpoints, k.revoked, k.policyVersion], [])) as unknown[]
        if (r.length === 0) return undefined
        const [rec, v, status, endedAt, pver, endpoints, revoked] = r as [string, string, string, string | null, string, string[], string[]]
        const m = decodeMeeting(rec, v, status, endedAt)
        const t = now()
        const revokedParticipants = new Set<string>()
        let revokedAll = false
        for (let i = 0; i + 1 < revoked.length; i += 2) {
          if (!revocationInForce(revoked[i + 1], t)) continue
          if (revoked[i] === '*') revokedAll = true
          else revokedParticipants.add(revoked[i]!)
        }
        return {
          meetingId,
          homeRegion: m.homeRegion,
          tenantId: m.tenantId,
          version: Number(pver),
          status: m.status,
          residencyMode: m.residencyMode,
          allowedRegions: m.allowedRegions,
          attendeePolicy: m.attendeePolicy,
          admittedEndpoints: new Set(endpoints),
          revokedParticipants,
          revokedAll,
          readAt: t,
        }
      }),
  }
}
