/** The dashboard's stylesheet, served as /dashboard/app.css (no inline styles: the CSP forbids them). */
export const DASHBOARD_CSS = String.raw`
:root {
  --bg: #0a0e13; --panel: #11171f; --panel-2: #161e28; --line: #222d3a; --line-2: #2c3a4b;
  --text: #d8e1eb; --muted: #7f8c9c; --faint: #4f5b69;
  --accent: #4cc2ff; --ok: #3ddc84; --warn: #f5b942; --bad: #ff5c5c; --violet: #a78bfa;
  --mono: "DejaVu Sans Mono", ui-monospace, "Liberation Mono", monospace;
  --sans: "DejaVu Sans", system-ui, "Liberation Sans", sans-serif;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 12.5px/1.4 var(--sans); }
[hidden] { display: none !important; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.mono { font-family: var(--mono); font-size: 11.5px; }
.muted { color: var(--muted); }

.top { display: flex; align-items: center; gap: 18px; padding: 8px 16px; background: linear-gradient(#121a24, #0e141b); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; letter-spacing: .2px; font-size: 14px; white-space: nowrap; }
.brand .logo { color: var(--accent); margin-right: 4px; }
.brand .sub { color: var(--muted); font-weight: 400; margin-left: 6px; }
.here { font-family: var(--mono); padding: 2px 8px; border: 1px solid var(--line-2); border-radius: 4px; background: var(--panel-2); }
.here b { color: var(--accent); font-weight: 600; }
.spacer { flex: 1; }
.conn { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
.conn .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--faint); }
.conn[data-state="live"] .dot { background: var(--ok); box-shadow: 0 0 0 3px rgba(61,220,132,.15); }
.conn[data-state="live"] { color: var(--ok); }
.conn[data-state="reconnecting"] .dot, .conn[data-state="connecting"] .dot { background: var(--warn); }
.conn[data-state="denied"] .dot { background: var(--bad); }
.conn[data-state="denied"] { color: var(--bad); }
.updated { color: var(--faint); font-family: var(--mono); font-size: 11px; min-width: 120px; text-align: right; }

.banner { margin: 10px 16px 0; padding: 8px 12px; border: 1px solid var(--bad); background: rgba(255,92,92,.1); color: #ffb3b3; border-radius: 4px; }

.login { display: flex; justify-content: center; padding-top: 12vh; }
.login form { width: 420px; background: var(--panel); border: 1px solid var(--line-2); border-radius: 6px; padding: 20px 22px; }
.login h2 { margin: 0 0 6px; font-size: 16px; }
.login p { color: var(--muted); margin: 0 0 12px; }
.login input { width: 100%; padding: 8px 10px; background: var(--bg); color: var(--text); border: 1px solid var(--line-2); border-radius: 4px; font-family: var(--mono); }
.login button { margin-top: 10px; padding: 7px 14px; background: var(--accent); color: #001524; border: 0; border-radius: 4px; font-weight: 700; cursor: pointer; }
.login .error { color: var(--bad); margin: 10px 0 0; min-height: 1em; }

main { padding: 10px 16px 16px; }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; margin-bottom: 10px; }
.kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 5px; padding: 7px 10px; }
.kpi .label { color: var(--muted); font-size: 10.5px; text-transform: uppercase; letter-spacing: .6px; }
.kpi .value { font-size: 21px; font-weight: 700; font-family: var(--mono); margin-top: 1px; }
.kpi .note { color: var(--muted); font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi.bad .value { color: var(--bad); }
.kpi.warn .value { color: var(--warn); }

.grid { display: grid; grid-template-columns: minmax(0, 1fr) 440px; gap: 10px; align-items: start; }
.col-main, .col-side { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.panel > h2 { margin: 0; padding: 7px 10px; font-size: 11px; text-transform: uppercase; letter-spacing: .8px; color: var(--muted); border-bottom: 1px solid var(--line); display: flex; align-items: center; gap: 8px; background: var(--panel-2); }
.panel > h2 .hint { text-transform: none; letter-spacing: 0; color: var(--faint); font-weight: 400; }
.panel > h2 .grow { flex: 1; }
.panel > h2 .legend { text-transform: none; letter-spacing: 0; font-weight: 400; color: var(--faint); display: inline-flex; gap: 4px; align-items: center; }
.empty { padding: 12px 10px; color: var(--faint); }

.fleet th:first-child, .fleet td:first-child { padding-left: 12px; }
.fleet .region-row td { background: var(--panel-2); border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); padding: 5px 12px; }
.fleet tbody:first-of-type .region-row td { border-top: 0; }
.fleet tbody.here .region-row td { box-shadow: inset 3px 0 0 var(--accent); }
.region-head { display: flex; align-items: baseline; gap: 9px; }
.region-head .id { font-family: var(--mono); font-weight: 700; font-size: 12.5px; }
.region-head .cc { font-family: var(--mono); color: var(--muted); }
.region-head .jur { color: var(--faint); font-size: 11px; }
.region-head .grow { flex: 1; }
.region-head .sum { font-family: var(--mono); color: var(--muted); font-size: 11px; }
.fleet td.relay-id { padding-left: 24px; }
.fleet td.unavailable { color: var(--bad); padding-left: 24px; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 10.5px; font-weight: 700; letter-spacing: .3px; line-height: 17px; border: 1px solid var(--line-2); color: var(--muted); white-space: nowrap; }
.tag.here { color: var(--accent); border-color: rgba(76,194,255,.5); }
.tag.ok { color: var(--ok); border-color: rgba(61,220,132,.4); }
.tag.warn { color: var(--warn); border-color: rgba(245,185,66,.45); }
.tag.bad { color: var(--bad); border-color: rgba(255,92,92,.5); background: rgba(255,92,92,.08); }
.tag.violet { color: var(--violet); border-color: rgba(167,139,250,.45); }
.tag.solid { background: rgba(76,194,255,.14); color: #9fdcff; border-color: rgba(76,194,255,.35); }
.tag.dim { color: var(--faint); border-style: dashed; }

table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-weight: 600; color: var(--faint); font-size: 10.5px; text-transform: uppercase; letter-spacing: .5px; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 3px 8px; border-bottom: 1px solid rgba(34,45,58,.6); white-space: nowrap; vertical-align: middle; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-family: var(--mono); font-size: 11.5px; }
.health { display: inline-flex; align-items: center; gap: 5px; font-family: var(--mono); font-size: 11px; }
.health::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--ok); }
.health[data-health="draining"]::before { background: var(--warn); }
.health[data-health="draining"] { color: var(--warn); }
.health[data-health="full"]::before, .health[data-health="stale"]::before { background: var(--bad); }
.health[data-health="full"], .health[data-health="stale"] { color: var(--bad); }
.bar { position: relative; width: 90px; height: 8px; background: #0c1218; border: 1px solid var(--line-2); border-radius: 2px; display: inline-block; vertical-align: middle; overflow: hidden; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--ok); }
.bar.mid > span { background: var(--warn); }
.bar.high > span { background: var(--bad); }
.loadtxt { font-family: var(--mono); font-size: 11px; color: var(--muted); margin-left: 6px; }

.meetings { display: flex; flex-direction: column; }
.meeting { border-bottom: 1px solid var(--line); padding: 7px 10px 8px; }
.meeting:last-child { border-bottom: 0; }
.meeting.ended { opacity: .55; }
.meeting .head { display: flex; align-items: center; gap: 7px; flex-wrap: wrap; }
.meeting .title { font-weight: 700; font-size: 13px; }
.meeting .mid { font-family: var(--mono); color: var(--muted); font-size: 11px; }
.meeting .grow { flex: 1; }
.meeting .facts { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 4px; color: var(--muted); font-size: 11.5px; }
.meeting .facts b { color: var(--text); font-weight: 600; }
.meeting table { margin-top: 5px; background: rgba(10,14,19,.45); border: 1px solid var(--line); border-radius: 4px; }
.chips { display: inline-flex; gap: 4px; flex-wrap: wrap; }
.cc-chip { font-family: var(--mono); font-size: 11px; padding: 0 5px; border-radius: 3px; background: #1b2531; border: 1px solid var(--line-2); }
.cc-chip b { color: var(--accent); margin-left: 3px; }
.status { font-family: var(--mono); font-size: 11px; }
.status[data-status="admitted"] { color: var(--ok); }
.status[data-status="waiting"] { color: var(--warn); }
.status[data-status="left"] { color: var(--faint); }
.status[data-status="removed"] { color: var(--bad); }

.countries { padding: 6px 10px 8px; display: flex; flex-direction: column; gap: 4px; }
.country { display: grid; grid-template-columns: 34px 1fr 34px; align-items: center; gap: 8px; font-family: var(--mono); font-size: 11.5px; }
.country .track { height: 10px; background: #0c1218; border: 1px solid var(--line); border-radius: 2px; overflow: hidden; }
.country .track > span { display: block; height: 100%; background: linear-gradient(90deg, #2a83b5, var(--accent)); }
.country .n { text-align: right; color: var(--muted); }

.feed-panel h2 .filters { display: inline-flex; gap: 4px; text-transform: none; letter-spacing: 0; }
.filters button { background: transparent; color: var(--muted); border: 1px solid var(--line-2); border-radius: 3px; padding: 0 7px; font-size: 11px; line-height: 18px; cursor: pointer; }
.filters button[aria-pressed="true"] { color: var(--text); background: #1d2835; border-color: var(--accent); }
.live { color: var(--ok); font-size: 10px; border: 1px solid rgba(61,220,132,.4); border-radius: 3px; padding: 0 5px; letter-spacing: .5px; }
.feed { list-style: none; margin: 0; padding: 0; max-height: calc(100vh - 300px); min-height: 240px; overflow-y: auto; }
.feed.refusals-only li[data-tone="allow"] { display: none; }
.feed li { display: grid; grid-template-columns: 64px 58px minmax(0, 1fr); gap: 2px 8px; padding: 4px 10px 4px 8px; border-bottom: 1px solid rgba(34,45,58,.7); border-left: 3px solid transparent; }
.feed li[data-tone="refusal"] { border-left-color: var(--bad); background: rgba(255,92,92,.075); }
.feed li[data-tone="revocation"] { border-left-color: var(--warn); background: rgba(245,185,66,.05); }
.feed li.new { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: rgba(76,194,255,.28); } }
.feed .t { font-family: var(--mono); font-size: 11px; color: var(--faint); }
.feed .v { font-family: var(--mono); font-size: 10.5px; font-weight: 700; }
.feed li[data-tone="allow"] .v { color: var(--ok); }
.feed li[data-tone="refusal"] .v { color: var(--bad); }
.feed li[data-tone="revocation"] .v { color: var(--warn); }
.feed .what { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.feed .what .kind { font-weight: 600; }
.feed .what .reason { font-family: var(--mono); font-size: 11px; color: var(--text); margin-left: 6px; }
.feed li[data-tone="refusal"] .reason { color: #ffb0b0; }
.feed .sub { grid-column: 3; color: var(--muted); font-size: 11px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.feed .sub .mtitle { color: var(--text); }
footer.scope { color: var(--faint); font-size: 11px; padding: 8px 16px 14px; }
`
