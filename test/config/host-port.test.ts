import t from 'tap'

import { endpointKey, isLoopback, parseHostPort } from '../../config/host-port.js'

t.test('host:port accepts IPv4, bracketed IPv6 and, where allowed, names', async (t) => {
  const ok: [string, string, boolean][] = [
    ['127.1.0.1:3478', '127.1.0.1:3478', false],
    ['[::1]:3478', '[::1]:3478', false],
    ['[0:0:0:0:0:0:0:1]:3478', '[::1]:3478', false],
    ['0.0.0.0:8080', '0.0.0.0:8080', false],
    ['Redis-0.Internal:6379', 'redis-0.internal:6379', true],
  ]
  for (const [text, key, names] of ok) {
    const parsed = parseHostPort(text, { allowNames: names })
    t.equal(parsed.ok ? endpointKey(parsed.value) : parsed.reason, key, text)
  }
})

t.test('host:port refuses what a socket could not bind or a resolver could not find', async (t) => {
  const bad: [string, RegExp, boolean][] = [
    ['127.0.0.1', /port is missing/, false],
    ['::1:3478', /in brackets/, false],
    ['[::1]3478', /not host:port/, false],
    ['[fe80::1%eth0]:3478', /not an IPv6/, false],
    ['127.0.0.1:65536', /above 65535/, false],
    ['127.0.0.1:0', /port 0/, false],
    ['127.0.0.1:08', /not a port/, false],
    ['127.1:3478', /dotted-quad/, false],
    ['localhost:3478', /not an IP address$/, false],
    ['bad_host:6379', /not an IP address or host name/, true],
  ]
  for (const [text, reason, names] of bad) {
    const parsed = parseHostPort(text, { allowNames: names })
    t.equal(parsed.ok, false, `${text} is refused`)
    if (!parsed.ok) t.match(parsed.reason, reason)
  }
})

t.test('port 0 is accepted only where asked for', async (t) => {
  t.equal(parseHostPort('127.0.0.1:0', { allowPortZero: true }).ok, true)
})

t.test('loopback is recognised for IPv4, IPv6 and localhost', async (t) => {
  const loop = (text: string): boolean => {
    const parsed = parseHostPort(text, { allowNames: true })
    return parsed.ok && isLoopback(parsed.value)
  }
  t.same(['127.9.9.9:1', '[::1]:1', 'localhost:1', '10.0.0.1:1', 'example.com:1'].map(loop), [true, true, true, false, false])
})
