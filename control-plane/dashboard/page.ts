/**
 * The dashboard page, embedded as strings so `tsc`'s dist serves it exactly as tsx does
 * (tsc copies no .html/.css/.js): the HTML shell here, the stylesheet in styles.ts and
 * the browser script in client-script.ts, each served from its own path so the page runs
 * under a strict Content-Security-Policy with no inline script or style at all.
 */
export const DASHBOARD_PATH = '/dashboard'
export const DASHBOARD_SCRIPT_PATH = '/dashboard/app.js'
export const DASHBOARD_STYLE_PATH = '/dashboard/app.css'
export const DASHBOARD_SOCKET_PATH = '/dashboard/ws'

/**
 * Same-origin only, nothing inline, nothing framed. `connect-src 'self'` covers the
 * page's own ws:/wss: origin (CSP3); the favicon is a data: URL so no request 404s.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers of every dashboard asset. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
}

const FAVICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M8 1l7 7-7 7-7-7z' fill='%234cc2ff'/%3E%3C/svg%3E"

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sovereign Relay · routing dashboard</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">
<script src="${DASHBOARD_SCRIPT_PATH}" defer></script>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo">&#9670;</span>Sovereign Relay<span class="sub">SRE routing</span></div>
  <div class="here" id="here">&mdash;</div>
  <div class="spacer"></div>
  <div class="updated" id="updated"></div>
  <div class="conn" id="conn" data-state="idle"><span class="dot"></span><span id="conn-text">not connected</span></div>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<section id="login" class="login" hidden>
  <form id="login-form" autocomplete="off">
    <h2>Operator key required</h2>
    <p>Paste the network's admin API key. It stays in this tab and is sent once over the dashboard's WebSocket, never in a URL. Tip: open <span class="mono">/dashboard#key=&hellip;</span> (the fragment never reaches the server).</p>
    <input id="key" type="password" autocomplete="off" placeholder="admin API key" aria-label="admin API key">
    <button type="submit">Connect</button>
    <p id="login-error" class="error" role="alert"></p>
  </form>
</section>
<main id="main" hidden>
  <section class="kpis" id="kpis"></section>
  <div class="grid">
    <div class="col-main">
      <section class="panel" id="fleet-panel">
        <h2>Relay fleet <span class="hint">live relays of every region, from each region's registry</span></h2>
        <div id="regions"></div>
      </section>
      <section class="panel" id="meetings-panel">
        <h2>Meetings <span class="hint" id="scope"></span><span class="grow"></span><span class="legend">carried by: <span class="tag solid">allocation</span> <span class="tag dim">handed out</span></span></h2>
        <div id="meetings" class="meetings"></div>
      </section>
    </div>
    <div class="col-side">
      <section class="panel">
        <h2>Participants by country <span class="hint">admitted, running meetings</span></h2>
        <div id="countries" class="countries"></div>
      </section>
      <section class="panel feed-panel">
        <h2>Residency decisions <span class="live">LIVE</span><span class="grow"></span>
          <span class="filters"><button type="button" id="filter-all" aria-pressed="true">all</button><button type="button" id="filter-refusals" aria-pressed="false">refusals</button></span>
        </h2>
        <ol id="feed" class="feed"></ol>
      </section>
    </div>
  </div>
</main>
<footer class="scope" id="footer"></footer>
</body>
</html>
`
