import t from 'tap'

import { verifyParticipantToken } from '../../../control-plane/tokens/participant-token.js'
import { bearer, dropPrefix, network, startRegion } from './fixture.js'

const net = network()
const eu = await startRegion(net, 'eu-central')
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})
const { app } = eu

const create = (body: object, key = net.keys.acme) => app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(key), payload: body })

t.test('a meeting created without a region is homed in the tenant default region and its id names it', async (t) => {
  const res = await create({})
  t.equal(res.statusCode, 201, res.body)
  const m = res.json()
  t.match(m.id, /^eu-central\.[0-9a-z]{26}$/)
  t.equal(m.homeRegion, 'eu-central')
  t.equal(res.headers.location, `/v1/meetings/${m.id}`)
  t.same(m.allowedRegions, ['eu-central'])
  t.equal(m.residencyMode, 'region')
  t.match(m.passcode, /^\d{12}$/, 'a passcode is generated because the tenant requires one')
  t.same(m.settings, {
    passcodeRequired: true, waitingRoom: false, joinBeforeHost: false, hostOnlyScreenShare: true, fileTransfer: false,
    recording: 'host', allowRejoinAfterRemoval: false, capacity: 100, keyMode: 'e2ee',
  }, 'built-in defaults, with the tenant default waitingRoom: false')
  t.equal(m.controlPlaneUrl, 'http://127.0.0.1:18080')
  const audit = await eu.state.audit.read(m.id)
  t.same(audit.map((e) => [e.kind, e.allow, e.reason]), [['meeting-created', true, 'tenant_allowed_region'], ['allowed-regions', true, 'home_region']])
  t.equal(audit[0]!.actor, 'eu-central-cp-1')
  t.equal(audit[0]!.region, 'eu-central')
})

t.test('a meeting created with the region named explicitly takes the given settings over the defaults', async (t) => {
  const res = await create({ region: 'eu-central', passcode: 'open-sesame', waitingRoom: true, capacity: 5, keyMode: 'managed', title: 'board' })
  t.equal(res.statusCode, 201, res.body)
  const m = res.json()
  t.equal(m.passcode, 'open-sesame')
  t.equal(m.settings.waitingRoom, true)
  t.equal(m.settings.capacity, 5)
  t.equal(m.settings.keyMode, 'managed')
  t.equal(m.title, 'board')
})

t.test('jurisdiction mode lets the meeting use every allowed region of the jurisdiction', async (t) => {
  const res = await create({ residencyMode: 'jurisdiction' })
  t.equal(res.statusCode, 201, res.body)
  t.same(res.json().allowedRegions, ['eu-central', 'eu-north'], 'us-east is allowed for the tenant but not in the EU')
  const audit = await eu.state.audit.read(res.json().id)
  t.equal(audit[1]!.reason, 'in_jurisdiction')
})

t.test('a region the tenant may not use is refused with 403 and the verdict reason', async (t) => {
  const res = await create({ region: 'eu-central' }, net.keys.globex)
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'SR_REGION_NOT_ALLOWED')
  t.match(res.json().message, /region_not_allowed_for_tenant/)
  const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(net.keys.admin) })
  t.match(metrics.body, /sovereign_cp_refusals_total\{reason="region_not_allowed_for_tenant"\} 1/)
})

t.test('an unknown region is refused with 422', async (t) => {
  const res = await create({ region: 'mars-base' })
  t.equal(res.statusCode, 422)
  t.equal(res.json().code, 'SR_REGION_UNKNOWN')
})

t.test('a body that does not match the schema is refused with SR_INVALID_REQUEST', async (t) => {
  const res = await create({ capacity: 0, colour: 'blue' })
  t.equal(res.statusCode, 422)
  t.equal(res.json().code, 'SR_INVALID_REQUEST')
})

t.test('a missing, wrong or malformed API key is 401 and an operator key on a tenant route is 403', async (t) => {
  for (const headers of [{}, bearer('sk_test_' + 'x'.repeat(43)), { authorization: 'Basic abc' }]) {
    const res = await app.inject({ method: 'POST', url: '/v1/meetings', headers, payload: {} })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'SR_UNAUTHENTICATED')
  }
  const viaHeader = await app.inject({ method: 'POST', url: '/v1/meetings', headers: { 'x-api-key': net.keys.acme }, payload: {} })
  t.equal(viaHeader.statusCode, 201, 'x-api-key works too')
  const admin = await create({}, net.keys.admin)
  t.equal(admin.statusCode, 403)
  t.equal(admin.json().code, 'SR_FORBIDDEN')
})

t.test('another tenant asking for a meeting gets the same 404 as for a meeting that does not exist', async (t) => {
  const m = (await create({})).json()
  const other = await app.inject({ method: 'GET', url: `/v1/meetings/${m.id}`, headers: bearer(net.keys.globex) })
  t.equal(other.statusCode, 404)
  const missing = await app.inject({ method: 'GET', url: '/v1/meetings/eu-central.00000000000000000000000000', headers: bearer(net.keys.globex) })
  t.equal(missing.statusCode, 404)
  t.same(other.json(), missing.json())
  const malformed = await app.inject({ method: 'GET', url: '/v1/meetings/not-a-meeting', headers: bearer(net.keys.acme) })
  t.equal(malformed.statusCode, 404)
  for (const [method, path] of [['POST', 'lock'], ['POST', 'end'], ['GET', 'participants'], ['POST', 'tokens'], ['GET', 'residency-report']] as const) {
    const res = await app.inject({ method, url: `/v1/meetings/${m.id}/${path}`, headers: bearer(net.keys.globex), ...(path === 'tokens' ? { payload: { identity: 'x', role: 'host' } } : {}) })
    t.equal(res.statusCode, 404, `${method} ${path}`)
  }
  const owner = await app.inject({ method: 'GET', url: `/v1/meetings/${m.id}`, headers: bearer(net.keys.acme) })
  t.equal(owner.statusCode, 200)
  t.equal(owner.json().status, 'active', 'nothing was changed by the other tenant')
})

t.test('PATCH changes only the given settings', async (t) => {
  const m = (await create({ passcode: 'abcd1234' })).json()
  const res = await app.inject({ method: 'PATCH', url: `/v1/meetings/${m.id}`, headers: bearer(net.keys.acme), payload: { waitingRoom: true, fileTransfer: true, attendeePolicy: { mode: 'block', countries: ['CN'] } } })
  t.equal(res.statusCode, 200, res.body)
  const u = res.json()
  t.equal(u.settings.waitingRoom, true)
  t.equal(u.settings.fileTransfer, true)
  t.equal(u.settings.hostOnlyScreenShare, true)
  t.equal(u.passcode, 'abcd1234', 'the passcode stays')
  t.same(u.attendeePolicy, { mode: 'block', countries: ['CN'], unknown: 'deny' })
  t.ok(u.version > m.version)
  const off = await app.inject({ method: 'PATCH', url: `/v1/meetings/${m.id}`, headers: bearer(net.keys.acme), payload: { passcodeRequired: false } })
  t.equal(off.json().passcode, undefined, 'turning the passcode off drops it')
  const nobody = await app.inject({ method: 'PATCH', url: `/v1/meetings/${m.id}`, headers: bearer(net.keys.acme), payload: { attendeePolicy: { mode: 'allow', countries: [] } } })
  t.equal(nobody.statusCode, 422, 'an allow-list admitting nobody is refused')
})

t.test('lock, unlock and end change the status; an ended meeting refuses further changes and tokens', async (t) => {
  const m = (await create({})).json()
  const url = (a: string) => `/v1/meetings/${m.id}/${a}`
  const post = (a: string) => app.inject({ method: 'POST', url: url(a), headers: bearer(net.keys.acme) })
  const locked = await post('lock')
  t.equal(locked.statusCode, 200)
  t.equal(locked.json().status, 'locked')
  t.equal(locked.json().locked, true)
  t.equal((await post('unlock')).json().status, 'active')
  let published!: (r: { meetingId: string; participantId?: string }) => void
  const meetingWide = new Promise<{ meetingId: string; participantId?: string }>((resolve) => (published = resolve))
  const sub = await eu.state.revocations.subscribe((r) => {
    if (r.meetingId === m.id) published(r)
  })
  t.teardown(() => sub.unsubscribe())
  const ended = await post('end')
  t.equal(ended.statusCode, 200)
  t.equal(ended.json().status, 'ended')
  t.type(ended.json().endedAt, 'string')
  t.ok(await eu.state.revocations.isRevoked(m.id, 'p_anyone'), 'every credential of the meeting is revoked')
  const again = await post('end')
  t.equal(again.statusCode, 200, 'ending twice is harmless')
  t.equal((await post('lock')).statusCode, 410)
  const token = await app.inject({ method: 'POST', url: url('tokens'), headers: bearer(net.keys.acme), payload: { identity: 'late', role: 'attendee' } })
  t.equal(token.statusCode, 410)
  t.equal(token.json().code, 'SR_MEETING_ENDED')
  const snapshot = await eu.state.policy.snapshot(m.id)
  t.equal(snapshot?.revokedAll, true)
  t.equal((await meetingWide).participantId, undefined, 'the meeting-wide revocation was published on the region channel')
})

t.test('the token endpoint mints a token that control-plane/tokens verifies with the tenant secret', async (t) => {
  const m = (await create({})).json()
  const res = await app.inject({ method: 'POST', url: `/v1/meetings/${m.id}/tokens`, headers: bearer(net.keys.acme), payload: { identity: 'alice@acme', displayName: 'Alice', role: 'host', capabilities: ['recording'], ttlSeconds: 120 } })
  t.equal(res.statusCode, 201, res.body)
  const body = res.json()
  t.match(body.participantId, /^p_[A-Za-z0-9_-]{22}$/)
  const claims = await verifyParticipantToken(body.token, { secretFor: (id) => (id === 'acme' ? net.tokenSecrets.acme : undefined), now: Date.now, meetingId: m.id })
  t.equal(claims.identity, 'alice@acme')
  t.equal(claims.role, 'host')
  t.same(claims.capabilities, ['recording'])
  t.equal(claims.expiresAt - claims.issuedAt, 120)
  await t.rejects(verifyParticipantToken(body.token, { secretFor: () => net.tokenSecrets.globex, now: Date.now }), { code: 'SR_TOKEN_BAD_SIGNATURE' }, 'another secret does not verify it')
  const tooLong = await app.inject({ method: 'POST', url: `/v1/meetings/${m.id}/tokens`, headers: bearer(net.keys.acme), payload: { identity: 'a', role: 'host', ttlSeconds: 90000 } })
  t.equal(tooLong.statusCode, 422)
})

t.test('/healthz and /readyz answer without a key; /metrics on the API port only to an operator key', async (t) => {
  const healthz = await app.inject({ method: 'GET', url: '/healthz' })
  t.same(healthz.json(), { status: 'ok', region: 'eu-central', node: 'eu-central-cp-1' })
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().state.command, 'connected')
  const anonymous = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(anonymous.statusCode, 401, 'no key: no metrics on the public port')
  t.equal(anonymous.json().code, 'SR_UNAUTHENTICATED')
  t.notMatch(anonymous.body, /sovereign_cp_/)
  const tenantKey = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(net.keys.acme) })
  t.equal(tenantKey.statusCode, 403, 'a tenant key is not an operator key')
  const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(net.keys.admin) })
  t.match(metrics.body, /sovereign_cp_http_requests_total\{route="\/v1\/meetings",method="POST",status="201"\} \d+/)
  t.match(metrics.body, /sovereign_cp_meeting_events_total\{type="meeting-created"\} \d+/)
  t.match(metrics.body, /sovereign_cp_state_up\{connection="command"\} 1/)
  t.notMatch(metrics.body, /eu-central\.[0-9a-z]{26}/, 'no meeting id becomes a label')
})

t.test('/docs/json lists every route of the API', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const paths = Object.keys(res.json().paths)
  for (const p of ['/v1/meetings', '/v1/meetings/{meetingId}', '/v1/meetings/{meetingId}/lock', '/v1/meetings/{meetingId}/unlock', '/v1/meetings/{meetingId}/end',
    '/v1/meetings/{meetingId}/participants', '/v1/meetings/{meetingId}/participants/{participantId}', '/v1/meetings/{meetingId}/tokens',
    '/v1/meetings/{meetingId}/residency-report', '/v1/regions/{regionId}/report-key', '/v1/admin/fleet', '/healthz', '/readyz']) {
    t.ok(paths.includes(p), p)
  }
  const html = await app.inject({ method: 'GET', url: '/docs' })
  t.ok(html.statusCode === 200 || html.statusCode === 302, 'the UI is served')
})
