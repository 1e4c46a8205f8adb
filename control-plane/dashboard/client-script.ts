/**
 * The dashboard's browser script, served as /dashboard/app.js. Plain ES2017 for any
 * current browser, no framework, no external request: it reads the admin key from the
 * URL fragment (then removes it from the address bar) or a form, authenticates the
 * WebSocket with a first message, and lays out the DashboardView it is sent. Text only
 * ever goes in through textContent, never as HTML.
 *
 * Kept as a string (not a compiled module) so dist and tsx serve the same bytes; the
 * dashboard tests parse it and drive it in a real Chromium.
 */
export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var KEY_STORE = 'sovereign.dashboard.key';
  var FEED_MAX = 200;
  var st = { key: null, ws: null, view: null, decisions: [], filter: 'all', retry: 0, lastError: null, authed: false, timer: null };

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'cls') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { for (var i = 0; i < child.length; i++) append(el, child[i]); return; }
    el.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  function replace(el) { while (el.firstChild) el.removeChild(el.firstChild); for (var i = 1; i < arguments.length; i++) append(el, arguments[i]); }

  function pct(x) { return Math.round(x * 100) + '%'; }
  function num(n) { return n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n)); }
  function rate(bytes) { var u = ['B/s', 'kB/s', 'MB/s', 'GB/s'], i = 0; while (bytes >= 1000 && i < u.length - 1) { bytes /= 1000; i++; } return (i === 0 ? Math.round(bytes) : bytes.toFixed(1)) + ' ' + u[i]; }
  function clock(ms) { return new Date(ms).toISOString().slice(11, 19); }
  function ago(ms) { return ms < 1000 ? ms + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 60000) + ' min'; }
  function shortId(id) { var dot = id.indexOf('.'); return dot < 0 ? id : id.slice(0, dot + 1) + id.slice(dot + 1, dot + 7) + '\u2026'; }

  // ---- key and connection ----------------------------------------------------------
  function keyFromFragment() {
    var m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (!m) return null;
    // Out of the address bar (and history) at once: shoulder-surfed screens and shared screenshots keep no key.
    history.replaceState(null, '', location.pathname + location.search);
    try { return decodeURIComponent(m[1]); } catch (e) { return null; }
  }
  function setConn(state, text) { var c = $('conn'); c.setAttribute('data-state', state); $('conn-text').textContent = text; }
  function banner(text) { var b = $('banner'); if (text) { b.textContent = text; b.hidden = false; } else { b.hidden = true; b.textContent = ''; } }
  function showLogin(error) {
    $('main').hidden = true; $('login').hidden = false;
    $('login-error').textContent = error || '';
    $('key').value = ''; $('key').focus();
  }

  function connect() {
    if (!st.key) { showLogin(''); return; }
    clearTimeout(st.timer);
    setConn(st.retry ? 'reconnecting' : 'connecting', st.retry ? 'reconnecting\u2026' : 'connecting\u2026');
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/dashboard/ws');
    st.ws = ws; st.authed = false; st.lastError = null;
    ws.onopen = function () { ws.send(JSON.stringify({ type: 'auth', key: st.key })); };
    ws.onmessage = function (ev) {
      var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
      onMessage(msg);
    };
    ws.onclose = function (ev) {
      if (st.ws !== ws) return;
      st.ws = null;
      if (ev.code === 4401 || ev.code === 4403) {
        sessionStorage.removeItem(KEY_STORE); st.key = null;
        setConn('denied', 'refused (' + ev.code + ')');
        showLogin((st.lastError && st.lastError.message ? st.lastError.message : 'the key was refused') + ' \u2014 close ' + ev.code + ' ' + (ev.reason || ''));
        return;
      }
      st.retry = Math.min(st.retry + 1, 6);
      var wait = Math.min(10000, 500 * Math.pow(2, st.retry - 1));
      setConn('reconnecting', 'disconnected (' + ev.code + '), retrying in ' + Math.round(wait / 1000) + ' s');
      st.timer = setTimeout(connect, wait);
    };
  }

  function onMessage(msg) {
    if (msg.type === 'hello') {
      st.authed = true; st.retry = 0;
      sessionStorage.setItem(KEY_STORE, st.key);
      $('login').hidden = true; $('main').hidden = false; banner(null);
      setConn('live', 'live \u00b7 ' + msg.nodeId);
      replace($('here'), 'control plane ', h('b', { text: msg.region }));
      $('scope').textContent = msg.scope;
      $('footer').textContent = 'Meetings, participants and decisions: ' + msg.scope + ' (they live only in that region\'s Redis; open another region\'s dashboard for its own). Fleets: every region.';
    } else if (msg.type === 'snapshot') {
      st.view = msg.view; render(msg.view);
    } else if (msg.type === 'decisions') {
      addDecisions(msg.decisions, msg.reset);
    } else if (msg.type === 'error') {
      st.lastError = msg;
      if (st.authed) banner(msg.code + ': ' + msg.message);
    }
  }

  // ---- rendering --------------------------------------------------------------------
  function kpi(label, value, note, tone, name) {
    return h('div', { cls: 'kpi' + (tone ? ' ' + tone : ''), 'data-kpi': name }, h('div', { cls: 'label', text: label }), h('div', { cls: 'value', text: value }), h('div', { cls: 'note', text: note }));
  }
  function render(v) {
    var t = v.totals;
    var unreadable = v.regions.filter(function (r) { return !r.available; }).length;
    var refusalsInFeed = st.decisions.filter(function (d) { return d.tone === 'refusal'; }).length;
    replace($('kpis'),
      kpi('Regions', v.regions.length, unreadable ? unreadable + ' unreadable' : 'all registries readable', unreadable ? 'bad' : '', 'regions'),
      kpi('Relays live', t.relays, t.draining + ' draining', t.relays === 0 ? 'bad' : t.draining ? 'warn' : '', 'relays'),
      kpi('Allocations', num(t.allocations), 'of ' + num(t.capacity) + ' capacity (' + (t.capacity ? pct(t.allocations / t.capacity) : 'n/a') + ')', t.capacity && t.allocations / t.capacity > 0.85 ? 'warn' : '', 'allocations'),
      kpi('Meetings running', t.meetingsRunning, v.scope, '', 'meetings'),
      kpi('Participants', t.participantsAdmitted, 'admitted from ' + v.countries.length + ' countr' + (v.countries.length === 1 ? 'y' : 'ies'), '', 'participants'),
      kpi('Refusals', t.refusals, refusalsInFeed + ' in the live feed', t.refusals ? 'bad' : '', 'refusals'));
    replace($('regions'), fleetTable(v.regions));
    replace($('meetings'), v.meetings.length ? v.meetings.map(meetingCard) : h('div', { cls: 'empty', text: 'No meetings homed in ' + v.region + ' yet.' }));
    renderCountries(v.countries);
    $('updated').textContent = 'updated ' + clock(v.generatedAt) + 'Z';
  }

  function loadBar(load) {
    var fill = h('span');
    fill.style.width = Math.max(2, Math.round(load * 100)) + '%';
    return h('span', { cls: 'bar' + (load >= 0.9 ? ' high' : load >= 0.7 ? ' mid' : '') }, fill);
  }
  function regionRows(r) {
    var link = h('a', { href: r.dashboardUrl, text: r.here ? 'this dashboard' : 'open its dashboard \u2197' });
    if (!r.here) link.addEventListener('click', function () { if (st.key) link.href = r.dashboardUrl + '#key=' + encodeURIComponent(st.key); });
    var others = r.jurisdictions.filter(function (j) { return j !== r.country; });
    var head = h('tr', { cls: 'region-row' }, h('td', { colspan: 9 }, h('div', { cls: 'region-head' },
      h('span', { cls: 'id', text: r.id }), h('span', { cls: 'cc', text: r.country }),
      others.length ? h('span', { cls: 'jur', text: others.join(' \u00b7 ') }) : null,
      r.here ? h('span', { cls: 'tag here', text: 'HERE' }) : null,
      h('span', { cls: 'grow' }),
      h('span', { cls: 'sum', text: r.available ? r.totals.relays + ' relay' + (r.totals.relays === 1 ? '' : 's') + (r.totals.draining ? ' (' + r.totals.draining + ' draining)' : '') + ' \u00b7 ' + num(r.totals.allocations) + ' / ' + num(r.totals.capacity) + ' allocations' : '' }),
      link)));
    var rows = [head];
    if (!r.available) rows.push(h('tr', null, h('td', { colspan: 9, cls: 'unavailable', text: 'registry unreadable: ' + (r.error || 'unknown error') })));
    else if (r.relays.length === 0) rows.push(h('tr', null, h('td', { colspan: 9, cls: 'unavailable', text: 'no live relays: this region cannot carry media' })));
    else r.relays.forEach(function (x) {
      rows.push(h('tr', { 'data-relay': x.id, 'data-health': x.health },
        h('td', { cls: 'mono relay-id', title: x.udp.concat(x.tcp, (x.tls || []).map(function (a) { return 'turns:' + a })).join('  '), text: x.id + ((x.tls || []).length ? ' \u00b7 tls' : '') }),
        h('td', null, h('span', { cls: 'health', 'data-health': x.health, text: x.health })),
        h('td', null, loadBar(x.load), h('span', { cls: 'loadtxt', text: num(x.allocations) + ' / ' + num(x.capacity) })),
        h('td', { cls: 'num', text: pct(x.cpu) }),
        h('td', { cls: 'num', text: num(x.packetsPerSecond) + ' pkt/s' }),
        h('td', { cls: 'num', text: rate(x.bytesPerSecond) }),
        h('td', { cls: 'num', 'data-carrying': x.carrying, text: x.carrying }),
        h('td', { cls: 'num', text: ago(x.beatAgeMs) }),
        h('td', { cls: 'num muted', text: x.udp.concat(x.tcp)[0] || '' })));
    });
    return h('tbody', { cls: r.here ? 'here' : '', 'data-region': r.id }, rows);
  }
  function fleetTable(regions) {
    return h('table', { cls: 'fleet' },
      h('thead', null, h('tr', null, h('th', { text: 'relay' }), h('th', { text: 'health' }), h('th', { text: 'allocations' }), h('th', { cls: 'num', text: 'cpu' }),
        h('th', { cls: 'num', text: 'packets' }), h('th', { cls: 'num', text: 'traffic' }), h('th', { cls: 'num', title: 'participants of this region\'s meetings with an allocation on it', text: 'carrying' }),
        h('th', { cls: 'num', text: 'last beat' }), h('th', { cls: 'num', text: 'address' }))),
      regions.map(regionRows));
  }

  function policyText(p) {
    if (p.mode === 'open' || p.countries.length === 0) return 'open to every country';
    return (p.mode === 'allow' ? 'only ' : 'block ') + p.countries.join(' ') + ' \u00b7 unknown location: ' + p.unknown;
  }
  function relayChips(p) {
    var out = p.allocatedOn.map(function (id) { return h('span', { cls: 'tag solid', title: 'allocation on ' + id, 'data-allocated': id, text: id }); });
    p.issued.forEach(function (id) { if (p.allocatedOn.indexOf(id) < 0) out.push(h('span', { cls: 'tag dim', title: 'handed out, no allocation seen', text: id })); });
    return out.length ? h('span', { cls: 'chips' }, out) : h('span', { cls: 'muted', text: '\u2014' });
  }
  function meetingCard(m) {
    var statusTone = m.status === 'active' ? 'ok' : m.status === 'locked' ? 'warn' : '';
    var head = h('div', { cls: 'head' },
      h('span', { cls: 'tag ' + statusTone, 'data-field': 'status', text: m.status.toUpperCase() }),
      h('span', { cls: 'title', text: m.title || 'untitled' }),
      h('span', { cls: 'mid', title: m.id, text: shortId(m.id) }),
      h('span', { cls: 'grow' }),
      h('span', { cls: 'tag here', 'data-field': 'home', title: 'home region: media, signaling and keys stay here', text: '\u2302 ' + m.homeRegion }),
      h('span', { cls: 'tag violet', 'data-field': 'mode', title: 'residency mode', text: m.residencyMode }),
      m.refusals ? h('span', { cls: 'tag bad', 'data-field': 'refusals', text: m.refusals + ' refused' }) : null);
    var facts = h('div', { cls: 'facts' },
      h('span', null, 'tenant ', h('b', { text: m.tenantId })),
      h('span', null, 'relays may be in ', h('b', { text: m.allowedRegions.join(', ') })),
      h('span', null, 'attendees ', h('b', { text: policyText(m.attendeePolicy) })),
      h('span', null, h('b', { text: m.admitted }), ' admitted', m.waiting ? ', ' + m.waiting + ' waiting' : ''),
      h('span', { cls: 'chips', 'data-field': 'countries' }, m.byCountry.map(function (c) { return h('span', { cls: 'cc-chip', 'data-country': c.country }, c.country, h('b', { text: c.count })); })));
    var rows = m.participants.filter(function (p) { return m.status !== 'ended' || p.status === 'admitted'; });
    var table = rows.length ? h('table', null,
      h('thead', null, h('tr', null, h('th', { text: 'participant' }), h('th', { text: 'role' }), h('th', { text: 'status' }), h('th', { text: 'country' }), h('th', { text: 'carried by' }))),
      h('tbody', null, rows.map(function (p) {
        return h('tr', { 'data-participant': p.identity },
          h('td', { title: p.id, text: p.identity }),
          h('td', { cls: 'muted', text: p.role }),
          h('td', null, h('span', { cls: 'status', 'data-status': p.status, text: p.status })),
          h('td', { cls: 'mono', 'data-field': 'country', text: p.country || '??' }),
          h('td', null, relayChips(p)));
      }))) : null;
    return h('article', { cls: 'meeting' + (m.status === 'ended' ? ' ended' : ''), 'data-meeting': m.id }, head, facts, table);
  }

  function renderCountries(list) {
    var max = list.reduce(function (n, c) { return Math.max(n, c.count); }, 0);
    replace($('countries'), list.length ? list.map(function (c) {
      var fill = h('span'); fill.style.width = Math.round((c.count / max) * 100) + '%';
      return h('div', { cls: 'country', 'data-country': c.country }, h('span', { text: c.country }), h('span', { cls: 'track' }, fill), h('span', { cls: 'n', text: c.count }));
    }) : h('div', { cls: 'empty', text: 'nobody admitted right now' }));
  }

  function titleOf(meetingId) {
    var m = st.view && st.view.meetings.filter(function (x) { return x.id === meetingId; })[0];
    return m && m.title ? m.title : shortId(meetingId);
  }
  function identityOf(meetingId, participantId) {
    var m = st.view && st.view.meetings.filter(function (x) { return x.id === meetingId; })[0];
    var p = m && m.participants.filter(function (x) { return x.id === participantId; })[0];
    return p ? p.identity : participantId;
  }
  function decisionItem(d, fresh) {
    var verdict = d.tone === 'allow' ? 'ALLOW' : d.tone === 'refusal' ? 'DENY' : 'REVOKE';
    var who = [];
    if (d.countries && d.countries.length) who.push(d.countries.join(','));
    who.push(d.actor + (d.region && st.view && d.region !== st.view.region ? ' (' + d.region + ')' : ''));
    if (d.participantId) who.push(identityOf(d.meetingId, d.participantId));
    return h('li', { cls: fresh ? 'new' : '', 'data-tone': d.tone, 'data-kind': d.kind, 'data-reason': d.reason, 'data-meeting': d.meetingId, title: d.detail || '' },
      h('span', { cls: 't', text: clock(d.at) }),
      h('span', { cls: 'v', text: verdict }),
      h('span', { cls: 'what' }, h('span', { cls: 'kind', text: d.kind }), h('span', { cls: 'reason', text: d.reason })),
      h('span', { cls: 'sub' }, h('span', { cls: 'mtitle', title: d.meetingId, text: titleOf(d.meetingId) }), ' \u00b7 ' + who.join(' \u00b7 ') + (d.detail ? ' \u00b7 ' + d.detail : '')));
  }
  function addDecisions(list, reset) {
    var feed = $('feed');
    if (reset) { st.decisions = []; replace(feed); }
    for (var i = 0; i < list.length; i++) {
      st.decisions.push(list[i]);
      feed.insertBefore(decisionItem(list[i], !reset), feed.firstChild);
    }
    while (feed.childNodes.length > FEED_MAX) feed.removeChild(feed.lastChild);
    if (st.decisions.length > FEED_MAX) st.decisions = st.decisions.slice(-FEED_MAX);
    if (!feed.firstChild) append(feed, h('li', { cls: 'empty', text: 'no decisions yet' }));
    else { var e = feed.querySelector('li.empty'); if (e) feed.removeChild(e); }
  }

  function setFilter(f) {
    st.filter = f;
    $('filter-all').setAttribute('aria-pressed', String(f === 'all'));
    $('filter-refusals').setAttribute('aria-pressed', String(f === 'refusals'));
    $('feed').classList.toggle('refusals-only', f === 'refusals');
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('filter-all').addEventListener('click', function () { setFilter('all'); });
    $('filter-refusals').addEventListener('click', function () { setFilter('refusals'); });
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var k = $('key').value.trim();
      if (!k) return;
      st.key = k; st.retry = 0; $('login-error').textContent = '';
      connect();
    });
    window.addEventListener('hashchange', function () { var k = keyFromFragment(); if (k) { st.key = k; if (st.ws) st.ws.close(); else connect(); } });
    st.key = keyFromFragment() || sessionStorage.getItem(KEY_STORE);
    connect();
  });
})();
`
