import t from 'tap'

import { DASHBOARD_JS } from '../../../control-plane/dashboard/client-script.js'
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_SCRIPT_PATH, DASHBOARD_STYLE_PATH } from '../../../control-plane/dashboard/page.js'
import { DASHBOARD_CSS } from '../../../control-plane/dashboard/styles.js'

t.test('the browser script is valid JavaScript', async (t) => {
  t.doesNotThrow(() => new Function(DASHBOARD_JS), 'it parses')
  t.notMatch(DASHBOARD_JS, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/, 'text goes in as text, never as HTML, and nothing is evaluated')
})

t.test('the page loads only its own script and stylesheet: nothing inline, nothing external', async (t) => {
  const scripts = [...DASHBOARD_HTML.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
  t.same(scripts.map((m) => [/src="([^"]+)"/.exec(m[1]!)?.[1], m[2]]), [[DASHBOARD_SCRIPT_PATH, '']], 'one script, by path, empty body')
  t.notMatch(DASHBOARD_HTML, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or event handler')
  t.match(DASHBOARD_HTML, `<link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">`)
  const urls = [...DASHBOARD_HTML.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
  t.ok(urls.every((u) => u.startsWith('/') || u.startsWith('data:')), `only same-origin or data: URLs (${urls.join(', ')})`)
  t.notMatch(DASHBOARD_CSS + DASHBOARD_JS, /https?:\/\/|@import|url\(/, 'the assets fetch nothing else either')
})

t.test('the key is read from the fragment and sent only as the socket\'s first message', async (t) => {
  t.match(DASHBOARD_JS, "location.hash", 'from the fragment')
  t.match(DASHBOARD_JS, "history.replaceState", 'and then removed from the address bar')
  t.match(DASHBOARD_JS, "JSON.stringify({ type: 'auth', key: st.key })", 'sent in the auth message')
  t.notMatch(DASHBOARD_JS, /\/dashboard\/ws\?|console\.log/, 'never in a URL, never logged')
})

t.test('the CSP allows nothing but the same origin', async (t) => {
  const directives = new Map(DASHBOARD_CSP.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]))
  t.same(directives.get('default-src'), ["'none'"])
  t.same(directives.get('script-src'), ["'self'"])
  t.same(directives.get('style-src'), ["'self'"])
  t.same(directives.get('connect-src'), ["'self'"])
  t.same(directives.get('frame-ancestors'), ["'none'"])
})
