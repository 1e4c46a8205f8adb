/**
 * `sovereign demo` as a library: a scripted meeting against a running network, told as a
 * list of steps, each with what should happen and what did. It does what a tenant and its
 * participants do, over real HTTP, WebSocket, TURN and WebRTC on loopback:
 *
 *   1. the tenant creates a meeting in eu-central, jurisdiction mode, blocking one country;
 *   2. a host joins from Germany, attendees from France and the United Kingdom;
 *   3. an attendee from the blocked country is refused (SR_COUNTRY_FORBIDDEN);
 *   4. node-datachannel peers open data channels host ↔ attendee with relay-only ICE,
 *      signaled through the control plane, and the selected pair must be relay/relay;
 *   5. a TURN client asks a relay for a permission to a foreign peer → 403;
 *   6. a participant's credential used from the blocked country → 403 at allocation;
 *   7. the residency report must show each refusal, with its reason, and no violation.
 *
 * Unexpected failures inside a step fail that step (and the steps that depend on it)
 * rather than the whole run, so the narration says how far it got. Only "nothing answers
 * at the URL" is thrown (DemoError ERR_DEMO_NO_NETWORK). The meeting is left running for
 * the dashboard unless `end` is set; `session.close()` disconnects the participants.
 */
import { signalUrl } from '../../control-plane/plugins/signaling.js'
import type { ReportRefusal, ResidencyReport } from '../../control-plane/report/residency-report.js'
import { ATTENDEES, BLOCKED, BLOCKED_COUNTRIES, FOREIGN_PEER, HOST, LEAKED_CREDENTIAL_FROM, type CastMember } from './cast.js'
import { openDataLink, turnServersOf, type DataLink, type DataLinkResult } from './data-link.js'
import { within } from './demo-error.js'
import { join, type JoinedParticipant } from './participant.js'
import { TenantApi } from './tenant-api.js'
import { probeAllocation, probeForeignPeer, type TurnServer } from './turn-probes.js'
import type { SignalClient } from '../../control-plane/client/signal-client.js'

export { releaseNativePeers } from './data-link.js'

export interface DemoOptions {
  /** A control plane of the network; the meeting is created in `region` (redirects followed). */
  readonly url: string
  /** The tenant's API key. */
  readonly apiKey: string
  /** Default eu-central. */
  readonly region?: string
  /** End the meeting for everyone at the end of the script (default: leave it running). */
  readonly end?: boolean
  /** Bound on every awaited event (default 10 s). */
  readonly timeoutMs?: number
  /** Called as each step finishes, for live narration. */
  readonly onStep?: (step: DemoStep) => void
}

export interface DemoStep {
  /** Stable: meeting, join:<identity>, refuse:<identity>, link:<identity>, foreign-peer, leaked-credential, report, end. */
  readonly id: string
  readonly title: string
  /** The expected outcome happened. */
  readonly ok: boolean
  readonly expected: string
  readonly observed: string
  /** Reason codes worth printing (SR_* codes, audit reasons, STUN codes). */
  readonly codes: readonly string[]
  readonly details: readonly string[]
  /** How long the step took. */
  readonly ms: number
}

export interface DemoReportSummary {
  readonly compliant: boolean
  readonly violations: number
  readonly entries: number
  readonly allowed: number
  readonly refused: number
  readonly admittedParticipants: number
  readonly byCountry: ReadonlyArray<{ readonly country: string; readonly participants: number }>
  readonly refusalsByReason: ReadonlyArray<{ readonly reason: string; readonly count: number }>
  readonly refusals: ReadonlyArray<{ readonly kind: string; readonly actor: string; readonly reason: string; readonly countries: readonly string[] }>
  readonly mediaRegions: readonly string[]
  readonly relays: readonly string[]
  readonly signalingRegions: readonly string[]
  readonly signalingNodes: readonly string[]
}

export interface DemoResult {
  readonly ok: boolean
  /** The control plane the meeting lives on (after any redirect). */
  readonly controlPlaneUrl: string
  readonly meeting?: {
    readonly id: string
    readonly homeRegion: string
    readonly residencyMode: string
    readonly allowedRegions: readonly string[]
    readonly attendeePolicy: { readonly mode: string; readonly countries: readonly string[] }
  }
  readonly steps: readonly DemoStep[]
  readonly report?: DemoReportSummary
  readonly ended: boolean
}

export interface DemoSession {
  readonly result: DemoResult
  /** The participants still connected (empty after close, or when the meeting was ended). */
  readonly connected: readonly string[]
  /** Closes data channels and signaling sockets (participants leave; the meeting stays). Idempotent. */
  close(): Promise<void>
}

const DEFAULT_REGION = 'eu-central'

export async function runDemo(options: DemoOptions): Promise<DemoSession> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const region = options.region ?? DEFAULT_REGION
  const entry = new TenantApi(options.url, options.apiKey)
  await entry.health() // throws ERR_DEMO_NO_NETWORK with the hint when nothing answers

  const steps: DemoStep[] = []
  const clients: SignalClient[] = []
  const links: DataLink[] = []
  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    await Promise.all(links.splice(0).map((link) => link.close()))
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })())
  const record = (step: DemoStep) => {
    steps.push(step)
    options.onStep?.(step)
    return step
  }
  /** Runs one step; an exception is that step's failure, narrated, not the run's. */
  const step = async <T>(id: string, title: string, expected: string, body: () => Promise<{ step: Omit<DemoStep, 'id' | 'title' | 'expected' | 'ms'>; value?: T }>): Promise<{ ok: boolean; value?: T }> => {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    try {
      const { step: s, value } = await body()
      record({ id, title, expected, ...s, ms: ms() })
      return { ok: s.ok, ...(value === undefined ? {} : { value }) }
    } catch (err) {
      record({ id, title, expected, ok: false, observed: err instanceof Error ? err.message : String(err), codes: codeOf(err), details: [], ms: ms() })
      return { ok: false }
    }
  }
  const skipped = (id: string, title: string, expected: string, why: string) =>
    record({ id, title, expected, ok: false, observed: `not tried: ${why}`, codes: [], details: [], ms: 0 })

  try {
    let api = entry
    let controlPlaneUrl = entry.baseUrl
    const finish = (ok: boolean, m?: DemoResult['meeting'], report?: DemoReportSummary, isEnded = false): DemoSession => {
      const result: DemoResult = { ok, controlPlaneUrl, steps, ended: isEnded, ...(m ? { meeting: m } : {}), ...(report ? { report } : {}) }
      return {
        result,
        get connected() { return clients.filter((c) => !c.closed && c.participantId !== undefined).map((c) => c.participantId!) },
        close,
      }
    }

    // 1. The meeting.
    const created = await step('meeting', `Create a meeting in ${region}, jurisdiction mode, blocking ${BLOCKED_COUNTRIES.join(', ')}`, `201, homed in ${region}`, async () => {
      const { meeting, url } = await entry.createMeeting({
        region,
        residencyMode: 'jurisdiction',
        attendeePolicy: { mode: 'block', countries: [...BLOCKED_COUNTRIES] },
        title: `sovereign demo ${new Date().toISOString()}`,
        passcodeRequired: false,
        waitingRoom: false,
      })
      controlPlaneUrl = url
      api = new TenantApi(url, options.apiKey)
      const ok = meeting.homeRegion === region && meeting.residencyMode === 'jurisdiction' && meeting.allowedRegions.includes(region)
      return {
        step: {
          ok,
          observed: `meeting ${meeting.id}, home ${meeting.homeRegion}`,
          codes: [],
          details: [
            `media may use: ${meeting.allowedRegions.join(', ')} (the ${meeting.residencyMode} of ${meeting.homeRegion})`,
            `attendee policy: ${meeting.attendeePolicy.mode} ${meeting.attendeePolicy.countries.join(', ')}; signaling and keys stay in ${meeting.homeRegion}`,
          ],
        },
        value: meeting,
      }
    })
    const meeting = created.value
    if (!meeting) return finish(false)
    const meetingSummary = {
      id: meeting.id, homeRegion: meeting.homeRegion, residencyMode: meeting.residencyMode, allowedRegions: meeting.allowedRegions,
      attendeePolicy: { mode: meeting.attendeePolicy.mode, countries: meeting.attendeePolicy.countries },
    }
    const ws = signalUrl(controlPlaneUrl)

    // 2. Host, then attendees (join-before-host is off: the host is welcomed first).
    const admit = async (member: CastMember): Promise<JoinedParticipant | undefined> => {
      const r = await step(`join:${member.identity}`, `${member.displayName} joins from ${member.country} (${member.address})`, 'welcome, with relays of the allowed set', async () => {
        const { token } = await api.mintToken(meeting.id, { identity: member.identity, role: member.role, displayName: member.displayName })
        const { client, result } = await join(ws, member, token, timeoutMs)
        clients.push(client)
        if (result.kind !== 'welcome') return { step: { ok: false, observed: describeJoin(result), codes: result.kind === 'denied' ? [result.code] : [], details: [] } }
        const turns = turnServersOf(result.welcome.iceServers)
        return {
          step: {
            ok: turns.length > 0,
            observed: `admitted as ${result.welcome.participantId}`,
            codes: [],
            details: [`ICE servers: ${turns.map((s) => `turn:${s.hostname}:${s.port}`).join(', ') || 'none'} (meeting-scoped credential)`],
          },
          value: { member, client, welcome: result.welcome },
        }
      })
      return r.value
    }
    const host = await admit(HOST)
    const attendees: JoinedParticipant[] = []
    for (const member of ATTENDEES) {
      if (!host) {
        skipped(`join:${member.identity}`, `${member.displayName} joins from ${member.country} (${member.address})`, 'welcome', 'the host is not in the meeting')
        continue
      }
      const joined = await admit(member)
      if (joined) attendees.push(joined)
    }

    // 3. The blocked attendee.
    await step(`refuse:${BLOCKED.identity}`, `${BLOCKED.displayName} tries to join from ${BLOCKED.country} (${BLOCKED.address})`, 'denied: SR_COUNTRY_FORBIDDEN, audited as country_blocked', async () => {
      const { token } = await api.mintToken(meeting.id, { identity: BLOCKED.identity, role: BLOCKED.role, displayName: BLOCKED.displayName })
      const { client, result } = await join(ws, BLOCKED, token, timeoutMs)
      clients.push(client)
      if (result.kind !== 'denied') return { step: { ok: false, observed: `not refused: ${describeJoin(result)}`, codes: [], details: [] } }
      const audited = await awaitRefusal(api, meeting.id, (r) => r.kind === 'admission' && r.detail === result.code && (r.countries ?? []).includes(BLOCKED.country), timeoutMs)
      return {
        step: {
          ok: result.code === 'SR_COUNTRY_FORBIDDEN' && audited !== undefined,
          observed: `denied ${result.code}: ${result.message}`,
          codes: [result.code, ...(audited ? [audited.reason] : [])],
          details: [audited ? `audited by ${audited.actor} in ${audited.region ?? '?'}: ${audited.reason}` : 'NOT in the audit stream'],
        },
      }
    })

    // 4. Data channels host ↔ each attendee, through the relays only (in parallel).
    // Settled outcomes, so a failing link is not an unhandled rejection while another is awaited.
    const linking = host === undefined ? [] : attendees.map((a) => openDataLink(host, a, timeoutMs).then(
      (link) => ({ link }),
      (err: unknown) => ({ err }),
    ))
    for (const member of ATTENDEES) {
      const id = `link:${member.identity}`
      const title = `Data channel ${HOST.displayName} ⇄ ${member.displayName} with iceTransportPolicy 'relay'`
      const expected = 'messages both ways over a relay/relay pair'
      const a = attendees.find((x) => x.member === member)
      if (!host || !a) {
        skipped(id, title, expected, 'a side is not in the meeting')
        continue
      }
      await step(id, title, expected, async () => {
        const outcome = await linking[attendees.indexOf(a)]!
        if ('err' in outcome) throw outcome.err
        links.push(outcome.link)
        return { step: judgeLink(host, a, outcome.link.result) }
      })
    }

    // 5 and 6. The relay refuses a foreign peer and a leaked credential.
    const turn = host === undefined ? undefined : turnServersOf(host.welcome.iceServers)[0]
    const server: TurnServer | undefined = turn && { host: turn.hostname, port: turn.port, username: turn.username!, password: turn.password! }
    const foreignTitle = `A TURN client asks ${server ? `relay ${server.host}:${server.port}` : 'a relay'} to permit foreign peer ${FOREIGN_PEER.address}`
    if (!server) skipped('foreign-peer', foreignTitle, '403', 'no relay credential (the host is not in the meeting)')
    else {
      await step('foreign-peer', foreignTitle, 'allocation allowed, permission 403, audited as peer_not_in_meeting', async () => {
        const probe = await probeForeignPeer(server, HOST.address, FOREIGN_PEER)
        const audited = probe.permission === 403
          ? await awaitRefusal(api, meeting.id, (r) => r.kind === 'peer' && r.actorKind === 'relay' && (r.countries ?? []).includes(BLOCKED.country), timeoutMs)
          : undefined
        return {
          step: {
            ok: probe.allocation === 0 && probe.permission === 403 && audited?.reason === 'peer_not_in_meeting',
            observed: `allocation ${probe.allocation === 0 ? `ok (${probe.relayed ?? '?'})` : probe.allocation}, CreatePermission ${probe.permission === 0 ? 'PERMITTED' : probe.permission}`,
            codes: [`STUN ${probe.permission ?? '-'}`, ...(audited ? [audited.reason] : [])],
            details: [
              `${FOREIGN_PEER.address} is no relay of [${meeting.allowedRegions.join(', ')}] and no admitted endpoint of the meeting`,
              audited ? `audited by relay ${audited.actor}: ${audited.reason}` : 'NOT in the audit stream',
            ],
          },
        }
      })
    }
    const leakedTitle = `${HOST.displayName}'s relay credential is used from ${BLOCKED.country} (${LEAKED_CREDENTIAL_FROM})`
    if (!server) skipped('leaked-credential', leakedTitle, '403', 'no relay credential (the host is not in the meeting)')
    else {
      await step('leaked-credential', leakedTitle, 'allocation 403, audited as country_blocked', async () => {
        const probe = await probeAllocation(server, LEAKED_CREDENTIAL_FROM)
        const audited = probe.allocation === 403
          ? await awaitRefusal(api, meeting.id, (r) => r.kind === 'allocation' && r.actorKind === 'relay' && (r.countries ?? []).includes(BLOCKED.country), timeoutMs)
          : undefined
        return {
          step: {
            ok: probe.allocation === 403 && audited?.reason === 'country_blocked',
            observed: `Allocate ${probe.allocation === 0 ? 'ALLOWED' : probe.allocation}`,
            codes: [`STUN ${probe.allocation}`, ...(audited ? [audited.reason] : [])],
            details: [audited ? `the relay re-checks the source country at allocation; audited by ${audited.actor}: ${audited.reason}` : 'NOT in the audit stream'],
          },
        }
      })
    }

    // 7. The residency report.
    const reported = await step('report', 'Residency report (signed, from the audit stream of the home region)', 'compliant; each refusal listed with its reason', async () => {
      const report = await api.residencyReport(meeting.id)
      const summary = summarize(report)
      const allowed = new Set(meeting.allowedRegions)
      const problems: string[] = []
      if (!summary.compliant || summary.violations > 0) problems.push(`${summary.violations} violation(s)`)
      if (!summary.mediaRegions.every((r) => allowed.has(r))) problems.push(`media in ${summary.mediaRegions.join(', ')}`)
      if (summary.signalingRegions.some((r) => r !== meeting.homeRegion)) problems.push(`signaling in ${summary.signalingRegions.join(', ')}`)
      if (summary.byCountry.some((c) => BLOCKED_COUNTRIES.includes(c.country))) problems.push('a blocked country was admitted')
      for (const reason of ['country_blocked', 'peer_not_in_meeting']) {
        if (!summary.refusalsByReason.some((r) => r.reason === reason)) problems.push(`no ${reason} refusal`)
      }
      return {
        step: { ok: problems.length === 0, observed: problems.length === 0 ? 'compliant' : problems.join('; '), codes: [], details: [] },
        value: summary,
      }
    })

    // The end, if asked: every socket closes with meeting-ended, every credential is revoked.
    let ended = false
    if (options.end === true) {
      const endedStep = await step('end', 'The tenant ends the meeting for everyone', 'status ended; every connected participant told', async () => {
        const connected = clients.filter((c) => !c.closed)
        const told = connected.map((c) => new Promise<void>((resolve) => c.once('meeting-ended', () => resolve())))
        const view = await api.endMeeting(meeting.id)
        await within(Promise.all(told), 'every participant is told the meeting ended', timeoutMs)
        return { step: { ok: view.status === 'ended', observed: `status ${view.status}; ${connected.length} participant(s) told`, codes: [], details: [] } }
      })
      ended = endedStep.ok
      await close()
    }
    return finish(steps.every((s) => s.ok), meetingSummary, reported.value, ended)
  } catch (err) {
    await close()
    throw err
  }
}

function judgeLink(host: JoinedParticipant, attendee: JoinedParticipant, r: DataLinkResult): Omit<DemoStep, 'id' | 'title' | 'expected' | 'ms'> {
  const relaysOf = (p: JoinedParticipant) => new Set(turnServersOf(p.welcome.iceServers).map((s) => s.hostname))
  const problems: string[] = []
  const details: string[] = []
  for (const [self, other] of [[host, attendee], [attendee, host]] as const) {
    const who = self.member.identity
    if (r.received[who] !== r.sent[other.member.identity]) problems.push(`${self.member.displayName} did not receive ${other.member.displayName}'s message`)
    const pair = r.pairs[who]
    if (!pair) {
      problems.push(`${self.member.displayName} has no selected pair`)
      continue
    }
    if (pair.local.type !== 'relay' || pair.remote.type !== 'relay') problems.push(`${self.member.displayName}'s pair is ${pair.local.type}/${pair.remote.type}`)
    if (!relaysOf(self).has(pair.local.address)) problems.push(`${self.member.displayName}'s local candidate ${pair.local.address} is not a relay it was given`)
    if (!relaysOf(other).has(pair.remote.address)) problems.push(`${self.member.displayName}'s remote candidate ${pair.remote.address} is not a relay ${other.member.displayName} was given`)
    details.push(`${self.member.displayName} (${self.member.address}) selected ${pair.local.type} ${pair.local.address}:${pair.local.port} ⇄ ${pair.remote.type} ${pair.remote.address}:${pair.remote.port}`)
  }
  if (!r.candidates.every((c) => / typ relay /.test(c))) problems.push('a non-relay candidate crossed the signaling channel')
  details.push(`${attendee.member.displayName} got: "${r.received[attendee.member.identity] ?? ''}"`)
  return {
    ok: problems.length === 0,
    observed: problems.length === 0 ? `both messages delivered; relay/relay on both sides (${r.candidates.length} relay candidates signaled)` : problems.join('; '),
    codes: [],
    details,
  }
}

function describeJoin(result: Awaited<SignalClient['joined']>): string {
  switch (result.kind) {
    case 'welcome': return `welcome as ${result.welcome.participantId}`
    case 'waiting': return `waiting (${result.reason})`
    case 'denied': return `denied ${result.code}: ${result.message}`
    case 'redirect': return `redirected to ${result.region} (${result.url})`
    case 'closed': return `socket closed ${result.code} ${result.reason}`
  }
}

function codeOf(err: unknown): string[] {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? [code] : []
}

/** Polls the residency report until a refusal matches (relays flush their audit in the background). */
async function awaitRefusal(api: TenantApi, meetingId: string, match: (r: ReportRefusal) => boolean, timeoutMs: number): Promise<ReportRefusal | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = (await api.residencyReport(meetingId)).refusals.entries.find(match)
    if (found || Date.now() > deadline) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export function summarize(report: ResidencyReport): DemoReportSummary {
  return {
    compliant: report.summary.compliant,
    violations: report.summary.violations,
    entries: report.summary.entries,
    allowed: report.summary.allowed,
    refused: report.summary.refused,
    admittedParticipants: report.summary.admittedParticipants,
    byCountry: report.participants.byCountry,
    refusalsByReason: report.refusals.byReason,
    refusals: report.refusals.entries.map((r) => ({ kind: r.kind, actor: r.actor, reason: r.reason, countries: r.countries ?? [] })),
    mediaRegions: report.media.regions,
    relays: report.media.relays.map((r) => r.id),
    signalingRegions: report.signaling.regions,
    signalingNodes: report.signaling.nodes.map((n) => n.id),
  }
}
