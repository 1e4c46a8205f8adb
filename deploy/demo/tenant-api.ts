/**
 * The tenant API calls the demo makes, over real HTTP with the tenant's API key: what a
 * tenant's backend does (create a meeting, mint tokens, read the residency report, end).
 * Redirects to the meeting's home region are followed (fetch follows a 307 with the body).
 */
import type { MeetingViewShape, CreateMeetingBodyShape } from '../../control-plane/plugins/http-schemas.js'
import type { ResidencyReport } from '../../control-plane/report/residency-report.js'
import { DemoError } from './demo-error.js'

export interface MintedToken {
  readonly token: string
  readonly participantId: string
  readonly controlPlaneUrl: string
}

export const NO_NETWORK_HINT = 'start the network first: npm start'

export class TenantApi {
  readonly #base: string
  readonly #key: string

  constructor(baseUrl: string, apiKey: string) {
    this.#base = baseUrl.replace(/\/+$/, '')
    this.#key = apiKey
  }

  get baseUrl(): string { return this.#base }

  /** GET /healthz; a connection failure is ERR_DEMO_NO_NETWORK with the hint to start one. */
  async health(): Promise<{ region: string; node: string }> {
    return (await this.#call<{ region: string; node: string }>('GET', '/healthz', undefined, 200)).body
  }

  /** POST /v1/meetings; `url` is where the answer came from (the home region after a redirect). */
  async createMeeting(body: CreateMeetingBodyShape): Promise<{ meeting: MeetingViewShape; url: string }> {
    const res = await this.#call<MeetingViewShape>('POST', '/v1/meetings', body, 201)
    return { meeting: res.body, url: new URL(res.url).origin }
  }

  async mintToken(meetingId: string, body: { identity: string; role: 'host' | 'attendee'; displayName?: string }): Promise<MintedToken> {
    return (await this.#call<MintedToken>('POST', `/v1/meetings/${encodeURIComponent(meetingId)}/tokens`, body, 201)).body
  }

  async residencyReport(meetingId: string): Promise<ResidencyReport> {
    return (await this.#call<{ report: ResidencyReport }>('GET', `/v1/meetings/${encodeURIComponent(meetingId)}/residency-report`, undefined, 200)).body.report
  }

  async endMeeting(meetingId: string): Promise<MeetingViewShape> {
    return (await this.#call<MeetingViewShape>('POST', `/v1/meetings/${encodeURIComponent(meetingId)}/end`, undefined, 200)).body
  }

  async #call<T>(method: string, path: string, body: unknown, expected: number): Promise<{ body: T; url: string }> {
    let res: Response
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      })
    } catch (err) {
      throw new DemoError('ERR_DEMO_NO_NETWORK', `no control plane answers at ${this.#base} (${causeOf(err)}) — ${NO_NETWORK_HINT}`, { cause: err })
    }
    const text = await res.text()
    if (res.status !== expected) {
      const detail = parseOr(text)
      const code = typeof detail === 'object' && detail !== null && 'code' in detail ? ` ${String(detail.code)}` : ''
      const message = typeof detail === 'object' && detail !== null && 'message' in detail ? `: ${String(detail.message)}` : ''
      throw new DemoError('ERR_DEMO_HTTP', `${method} ${path} answered ${res.status}${code}${message} (expected ${expected})`)
    }
    return { body: JSON.parse(text) as T, url: res.url }
  }
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
  if (cause && typeof cause.code === 'string') return cause.code
  return err instanceof Error ? err.message : String(err)
}
