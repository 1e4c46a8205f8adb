/**
 * The residency audit stream of a meeting (guarantee 7): every decision, allowed or
 * denied, by a relay or a control-plane node, appended in the meeting's home region
 * and read back in order for the residency report.
 */

export interface AuditEvent {
  readonly at: number
  /** Who decided: a relay id or a control-plane node id. */
  readonly actor: string
  /** What was decided: 'allocation', 'peer', 'admission', 'relay-issued', 'key-delivery', 'redirect', ... */
  readonly kind: string
  readonly allow: boolean
  /** A residency reason (geo/verdict.ts) or, from a control plane, an admission reason (control-plane/security/admission-reasons.ts). */
  readonly reason: string
  readonly detail?: string
  /** Region of the actor (a jurisdiction-mode relay may serve from another region). */
  readonly region?: string
  readonly participantId?: string
  readonly relayId?: string
  readonly addresses?: readonly string[]
  readonly countries?: readonly string[]
}

export interface AuditRecord extends AuditEvent {
  /** Stream entry id; strictly increasing within a meeting. */
  readonly id: string
}

export interface AuditReadOptions {
  /** Exclusive lower bound (an id returned earlier), for paging. */
  readonly after?: string
  readonly count?: number
}

/** Bound on a meeting's stream (XADD MAXLEN ~): a runaway loop cannot fill Redis. */
export const DEFAULT_AUDIT_MAX_LENGTH = 100_000

export interface AuditStore {
  readonly region: string
  append(meetingId: string, event: AuditEvent): Promise<string>
  read(meetingId: string, options?: AuditReadOptions): Promise<AuditRecord[]>
}

const FIELDS = ['at', 'actor', 'kind', 'allow', 'reason', 'detail', 'region', 'participantId', 'relayId', 'addresses', 'countries'] as const

/** Flat stream fields (readable with redis-cli XRANGE); arrays as JSON. */
export function auditToFields(e: AuditEvent): string[] {
  const out: string[] = []
  for (const f of FIELDS) {
    const v = e[f]
    if (v === undefined) continue
    out.push(f, Array.isArray(v) ? JSON.stringify(v) : String(v))
  }
  return out
}

export function auditFromFields(id: string, fields: readonly string[]): AuditRecord {
  const m = new Map<string, string>()
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!)
  const opt = (k: string) => m.get(k)
  const arr = (k: string) => (m.has(k) ? (JSON.parse(m.get(k)!) as string[]) : undefined)
  const rec: Record<string, unknown> = {
    id,
    at: Number(m.get('at')),
    actor: m.get('actor') ?? '',
    kind: m.get('kind') ?? '',
    allow: m.get('allow') === 'true',
    reason: m.get('reason') as string,
  }
  for (const k of ['detail', 'region', 'participantId', 'relayId'] as const) if (opt(k) !== undefined) rec[k] = opt(k)
  for (const k of ['addresses', 'countries'] as const) if (arr(k) !== undefined) rec[k] = arr(k)
  return rec as unknown as AuditRecord
}
