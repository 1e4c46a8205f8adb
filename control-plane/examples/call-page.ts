/**
 * The example call page, `/examples/call`: what a tenant's developer copies. Two tabs
 * holding the participant tokens their backend minted (in the URL fragment, which never
 * reaches the server) join one meeting and hold a call over a data channel through the
 * region's relays, using nothing but the published SDK bundle
 * (`sovereign-relay/client/browser`, served beside the page). Embedded as strings so
 * tsc's dist serves exactly what tsx does; no inline script or style, so the page runs
 * under `default-src 'self'` with no 'unsafe-eval' or 'unsafe-inline'.
 */
export const CALL_PATH = '/examples/call'
export const CALL_SCRIPT_PATH = '/examples/call/app.js'
export const CALL_SDK_PATH = '/examples/call/sovereign-client.js'

/** Same origin for everything (CSP3 `'self'` covers the page's own ws: origin); nothing inline, never evaluated. */
export const CALL_CSP = ["default-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'", "img-src 'self' data:"].join('; ')

export const CALL_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CALL_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

export const CALL_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sovereign Relay · example call</title>
<link rel="icon" href="data:,">
<script type="module" src="${CALL_SCRIPT_PATH}"></script>
</head>
<body>
<h1>Example call</h1>
<p>Open this page in two tabs, each with <code>#token=&lt;participant token&gt;</code> minted by your backend
(<code>sovereign token</code> or <code>POST /v1/meetings/:id/tokens</code>) for the same meeting.</p>
<dl>
  <dt>signaling</dt><dd id="signaling">starting</dd>
  <dt>participant</dt><dd id="me">&mdash;</dd>
  <dt>call</dt><dd id="call">waiting for a peer</dd>
  <dt>route</dt><dd id="route">&mdash;</dd>
</dl>
<form id="send"><input id="text" autocomplete="off" placeholder="message"> <button>send</button></form>
<ol id="log"></ol>
</body>
</html>
`

/**
 * The page's script: plain JavaScript importing only the SDK bundle. The newer participant
 * calls everyone already there (it creates the data channel); the others answer.
 */
export const CALL_JS = `import { SignalClient, PeerLink } from './sovereign-client.js'

const $ = (id) => document.getElementById(id)
const say = (id, text) => { $(id).textContent = text }
const log = (text) => { const li = document.createElement('li'); li.textContent = text; $('log').append(li) }

const token = new URLSearchParams(location.hash.slice(1)).get('token')
const signalUrl = location.origin.replace(/^http/, 'ws') + '/v1/signal'
const links = new Map()
let channel

function wire(link, dc) {
  link.on('state', (s) => {
    say('call', s)
    if (s === 'connected') showRoute(link)
  })
  link.on('ice-restart', (reason) => log('ice restart: ' + reason))
  link.on('error', (err) => log('error: ' + (err.code || '') + ' ' + err.message))
  const use = (c) => {
    channel = c
    c.onopen = () => { say('call', 'open'); log('channel open') }
    c.onmessage = (e) => log('peer: ' + e.data)
  }
  if (dc) use(dc)
  link.on('datachannel', use)
}

async function showRoute(link) {
  const stats = []
  ;(await link.pc.getStats()).forEach((s) => stats.push(s))
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId)
  const pair = stats.find((s) => transport && s.id === transport.selectedCandidatePairId)
  const local = stats.find((s) => pair && s.id === pair.localCandidateId)
  if (local) say('route', local.candidateType + ' ' + local.address + ':' + local.port + ' (' + (local.relayProtocol || local.protocol) + ')')
}

function linkTo(client, remote, caller) {
  if (links.has(remote)) return links.get(remote)
  const link = new PeerLink(client, { remote })
  links.set(remote, link)
  wire(link, caller ? link.createDataChannel('chat') : undefined)
  return link
}

if (!token) {
  say('signaling', 'no #token= in the URL')
} else {
  const client = SignalClient.connect(signalUrl, { WebSocket, token, clientInfo: { name: 'example-call', version: '1' } })
  client.on('reconnecting', (e) => say('signaling', 'reconnecting (attempt ' + e.attempt + ')'))
  client.on('reconnected', () => say('signaling', 'welcome (resumed)'))
  client.on('close', (e) => say('signaling', 'closed ' + e.code + ' ' + e.reason))
  client.on('waiting', (m) => say('signaling', 'waiting: ' + m.reason))
  client.on('welcome', (w) => {
    say('signaling', 'welcome')
    say('me', w.participantId + ' (' + w.iceServers.length + ' relay' + (w.iceServers.length === 1 ? '' : 's') + ')')
    // Newcomer: call everyone already here.
    for (const p of w.participants) if (p.participantId !== w.participantId) linkTo(client, p.participantId, true)
  })
  // Someone newer will call us: be ready for their offer.
  client.on('participant-joined', (p) => linkTo(client, p.participantId, false))
  // A signal from someone we have no link to yet (it may overtake participant-joined): link, then hand it over.
  client.on('signal', (m) => { if (!links.has(m.from)) linkTo(client, m.from, false).handleSignal(m) })
  const joined = await client.joined
  if (joined.kind !== 'welcome' && joined.kind !== 'waiting') say('signaling', joined.kind + ' ' + (joined.code || ''))
}

$('send').addEventListener('submit', (e) => {
  e.preventDefault()
  const text = $('text').value
  if (channel && channel.readyState === 'open' && text) {
    channel.send(text)
    log('me: ' + text)
    $('text').value = ''
  }
})
`
