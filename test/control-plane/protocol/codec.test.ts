import t from 'tap'

import {
  LIMITS, SUBPROTOCOL, decodeClientMessage, decodeServerMessage, encodeClientMessage, encodeServerMessage,
  type ClientMessageShape, type ServerMessageShape,
} from '../../../control-plane/protocol/index.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const sealed = { suite: 'X25519-SHA256/HKDF-SHA256/AES-128-GCM' as const, enc: 'a'.repeat(43), ct: 'b'.repeat(64) }

const validClient: Array<[string, ClientMessageShape]> = [
  ['a join with token only', { type: 'join', token: 'x.y.z' }],
  ['a join with passcode, public key and client info', {
    type: 'join', id: 'r1', token: 'x.y.z', passcode: '123456789012', publicKey: 'A'.repeat(43), displayName: 'Alice',
    client: { name: 'sovereign-client', version: '0.1.0' },
  }],
  ['an offer to one participant declaring tracks and channels', {
    type: 'signal', to: 'p_abc', kind: 'offer', payload: 'v=0\r\n', tracks: [{ mid: '0', kind: 'audio' }, { kind: 'screen' }],
    dataChannels: [{ label: 'chat' }],
  }],
  ['an answer to all', { type: 'signal', to: 'all', kind: 'answer', payload: 'v=0\r\n' }],
  ['an end-of-candidates ice message', { type: 'signal', to: 'p_abc', kind: 'ice', payload: '' }],
  ['an opaque key message', { type: 'signal', to: 'all', kind: 'key', payload: 'c2VhbGVk' }],
  ['host admit', { type: 'host', command: 'admit', participantId: 'p_1' }],
  ['host deny', { type: 'host', command: 'deny', participantId: 'p_1' }],
  ['host remove', { type: 'host', command: 'remove', participantId: 'p_1' }],
  ['host lock', { type: 'host', command: 'lock' }],
  ['host unlock', { type: 'host', command: 'unlock' }],
  ['host end', { type: 'host', command: 'end', id: 'end-1' }],
  ['host grant', { type: 'host', command: 'grant', participantId: 'p_1', capability: 'screenShare' }],
  ['host revoke', { type: 'host', command: 'revoke', participantId: 'p_1', capability: 'recording' }],
  ['a screen share request', { type: 'request', request: 'startScreenShare' }],
  ['a file transfer request', { type: 'request', request: 'openFileTransfer' }],
  ['a recording request', { type: 'request', request: 'startRecording' }],
  ['leave', { type: 'leave' }],
  ['ping', { type: 'ping', nonce: 'n1' }],
  ['a v1.1 join declaring its revision', { type: 'join', token: 'x.y.z', minor: 1 }],
  ['a v1.1 request for fresh ICE servers', { type: 'ice-servers-request', id: 'ice-1' }],
]

t.test('every valid client message survives encode and decode unchanged', async (t) => {
  for (const [name, message] of validClient) {
    const decoded = decodeClientMessage(encodeClientMessage(message))
    t.same(decoded, { ok: true, message }, name)
  }
})

const invalidClient: Array<[string, unknown, string]> = [
  ['an unknown type', { type: 'hello' }, 'SR_PROTOCOL_VIOLATION'],
  ['a join without token', { type: 'join' }, 'SR_PROTOCOL_VIOLATION'],
  ['a join with an extra field', { type: 'join', token: 't', admin: true }, 'SR_PROTOCOL_VIOLATION'],
  ['a join with a short public key', { type: 'join', token: 't', publicKey: 'abc' }, 'SR_PROTOCOL_VIOLATION'],
  ['a signal to an invalid participant id', { type: 'signal', to: 'p 1', kind: 'offer', payload: 'v=0' }, 'SR_PROTOCOL_VIOLATION'],
  ['a signal of an unknown kind', { type: 'signal', to: 'all', kind: 'bye', payload: 'x' }, 'SR_PROTOCOL_VIOLATION'],
  ['tracks on an ice message', { type: 'signal', to: 'all', kind: 'ice', payload: '', tracks: [] }, 'SR_PROTOCOL_VIOLATION'],
  ['an SDP over the SDP limit', { type: 'signal', to: 'all', kind: 'offer', payload: 'a'.repeat(LIMITS.maxSdpChars + 1) }, 'SR_PROTOCOL_VIOLATION'],
  ['a candidate over its limit', { type: 'signal', to: 'all', kind: 'ice', payload: 'a'.repeat(LIMITS.maxCandidateChars + 1) }, 'SR_PROTOCOL_VIOLATION'],
  ['a key message over its limit', { type: 'signal', to: 'all', kind: 'key', payload: 'a'.repeat(LIMITS.maxKeyMessageChars + 1) }, 'SR_PROTOCOL_VIOLATION'],
  ['admit without a participant', { type: 'host', command: 'admit' }, 'SR_PROTOCOL_VIOLATION'],
  ['grant of an unknown capability', { type: 'host', command: 'grant', participantId: 'p_1', capability: 'admin' }, 'SR_PROTOCOL_VIOLATION'],
  ['lock with a stray participant', { type: 'host', command: 'lock', participantId: 'p_1' }, 'SR_PROTOCOL_VIOLATION'],
  ['an unknown request', { type: 'request', request: 'becomeHost' }, 'SR_PROTOCOL_VIOLATION'],
  ['an ICE servers request with a stray field', { type: 'ice-servers-request', relayId: 'r1' }, 'SR_PROTOCOL_VIOLATION'],
  ['a join with a negative revision', { type: 'join', token: 't', minor: -1 }, 'SR_PROTOCOL_VIOLATION'],
  ['a frame over the frame limit', { type: 'ping', nonce: 'x'.repeat(LIMITS.maxFrameBytes) }, 'SR_MESSAGE_TOO_LARGE'],
]

t.test('invalid client messages are refused with a stable code', async (t) => {
  for (const [name, value, code] of invalidClient) {
    const decoded = decodeClientMessage(JSON.stringify(value))
    t.equal(decoded.ok, false, name)
    if (!decoded.ok) t.equal(decoded.code, code, name)
  }
  const notJson = decodeClientMessage('{"type":')
  t.same(notJson.ok ? undefined : notJson.code, 'SR_PROTOCOL_VIOLATION', 'a frame that is not JSON')
})

t.test('the frame limit counts UTF-8 bytes, not characters', async (t) => {
  // 3 bytes per character: under the limit in characters, over it in bytes.
  const nonce = '€'.repeat(Math.ceil(LIMITS.maxFrameBytes / 3))
  const decoded = decodeClientMessage(JSON.stringify({ type: 'ping', nonce }))
  t.equal(decoded.ok ? 'ok' : decoded.code, 'SR_MESSAGE_TOO_LARGE')
})

t.test('encoding refuses an invalid message instead of sending it', async (t) => {
  t.throws(() => encodeClientMessage({ type: 'host', command: 'grant', participantId: 'p_1' } as unknown as ClientMessageShape), TypeError)
  t.throws(() => encodeServerMessage({ type: 'redirect', url: 'ftp://x', region: 'eu' } as ServerMessageShape), TypeError)
})

const settings = {
  id: MEETING, homeRegion: 'eu-west', residencyMode: 'region' as const, keyMode: 'managed' as const, locked: false,
  waitingRoom: true, joinBeforeHost: false, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host' as const, capacity: 100,
}
const validServer: Array<[string, ServerMessageShape]> = [
  ['welcome with ICE servers and key', {
    type: 'welcome', protocol: 1, participantId: 'p_1', displayName: 'Alice', role: 'host', capabilities: ['screenShare', 'recording'],
    iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: '1700000000:m:p_1', credential: 'c', expiresAt: 1700000000 }],
    participants: [{ participantId: 'p_2', displayName: 'Bob', role: 'attendee', capabilities: [] }],
    meeting: settings, key: { version: 1, sealed },
  }],
  ['waiting', { type: 'waiting', participantId: 'p_1', reason: 'waiting_room' }],
  ['admitted', { type: 'admitted', participantId: 'p_1' }],
  ['denied', { type: 'denied', code: 'SR_PASSCODE_WRONG', message: 'wrong passcode' }],
  ['participant-joined', { type: 'participant-joined', participant: { participantId: 'p_2', displayName: 'B', role: 'attendee', capabilities: [] } }],
  ['participant-left', { type: 'participant-left', participantId: 'p_2' }],
  ['participant-removed', { type: 'participant-removed', participantId: 'p_2', by: 'p_1' }],
  ['participant-waiting', { type: 'participant-waiting', participant: { participantId: 'p_2', displayName: 'B', role: 'attendee', capabilities: [] }, reason: 'waiting_room' }],
  ['participant-admitted', { type: 'participant-admitted', participantId: 'p_2', by: 'p_1' }],
  ['signal', { type: 'signal', from: 'p_2', kind: 'offer', payload: 'v=0', tracks: [{ kind: 'video' }] }],
  ['key-delivery', { type: 'key-delivery', version: 2, sealed }],
  ['key-rotated', { type: 'key-rotated', version: 2, reason: 'participant-removed' }],
  ['meeting-locked', { type: 'meeting-locked', by: 'p_1' }],
  ['meeting-unlocked', { type: 'meeting-unlocked', by: 'p_1' }],
  ['meeting-ended', { type: 'meeting-ended', by: 'p_1' }],
  ['capability-changed', { type: 'capability-changed', participantId: 'p_2', capabilities: ['screenShare'], by: 'p_1' }],
  ['request-result', { type: 'request-result', re: 'r', request: 'startRecording', allowed: false, code: 'SR_RECORDING_NOT_ALLOWED' }],
  ['error', { type: 'error', re: 'r', code: 'SR_NOT_HOST', message: 'only a host or co-host may do that' }],
  ['redirect', { type: 'redirect', url: 'ws://127.0.0.2:8080/v1/signal', region: 'eu-west' }],
  ['pong', { type: 'pong', nonce: 'n' }],
  ['ice-restart after a relay was lost', {
    type: 'ice-restart', reason: 'relay-lost', relayId: 'eu-relay-1',
    iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'], username: '1700000000:m:p_1', credential: 'c', expiresAt: 1700000000 }],
  }],
  ['ice-restart answering a request', { type: 'ice-restart', reason: 'requested', re: 'ice-1', iceServers: [{ urls: ['turns:127.0.0.2:5349?transport=tcp'] }] }],
]

t.test('every valid server message survives encode and decode unchanged', async (t) => {
  for (const [name, message] of validServer) {
    t.same(decodeServerMessage(encodeServerMessage(message)), { ok: true, message }, name)
  }
})

t.test('the client refuses server messages that break the schema', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['an error with an unknown code', { type: 'error', code: 'SR_NOPE', message: 'x' }],
    ['a redirect to http instead of ws', { type: 'redirect', url: 'http://x', region: 'eu-west' }],
    ['a welcome without meeting', { type: 'welcome', protocol: 1, participantId: 'p', displayName: 'A', role: 'host', capabilities: [], iceServers: [], participants: [] }],
    ['an ICE server with a non-TURN url', { ...validServer[0]![1], iceServers: [{ urls: ['https://x'] }] }],
    ['a key delivery with version 0', { type: 'key-delivery', version: 0, sealed }],
    ['an ice-restart without ICE servers (nothing to restart onto)', { type: 'ice-restart', reason: 'relay-lost', iceServers: [] }],
    ['an ice-restart with an unknown reason', { type: 'ice-restart', reason: 'bored', iceServers: [{ urls: ['turn:127.0.0.2:3478'] }] }],
  ]
  for (const [name, value] of cases) t.equal(decodeServerMessage(JSON.stringify(value)).ok, false, name)
})

t.test('the subprotocol name carries the version', async (t) => {
  t.equal(SUBPROTOCOL, 'sovereign.signal.v1')
})

t.test('the codec validates where code generation from strings is forbidden (a strict CSP without unsafe-eval)', async (t) => {
  const { execFile } = await import('node:child_process')
  const codec = new URL('../../../control-plane/protocol/codec.ts', import.meta.url).href
  // --disallow-code-generation-from-strings makes `new Function` and `eval` throw, as a page without 'unsafe-eval' does.
  const script = `const c = await import(${JSON.stringify(codec)});
    const ok = c.decodeServerMessage(JSON.stringify({ type: 'pong', nonce: 'n' })).ok;
    const bad = c.decodeClientMessage(JSON.stringify({ type: 'join' })).ok;
    console.log(JSON.stringify({ ok, bad }))`
  const out = await new Promise<string>((resolve, reject) => execFile(process.execPath,
    ['--disallow-code-generation-from-strings', '--import=tsx', '--input-type=module', '-e', script],
    { cwd: new URL('../../..', import.meta.url).pathname }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))))
  t.same(JSON.parse(out.trim()), { ok: true, bad: false }, 'valid frames pass and invalid ones fail, with no eval')
})
