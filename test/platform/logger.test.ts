import { Writable } from 'node:stream'

import t from 'tap'
import { Command } from 'commander'

import { createLogger, logLevelOption } from '../../platform/logger.js'

/** A destination that keeps what the logger writes. */
function sink(): { stream: Writable; text: () => string; records: () => Array<Record<string, unknown>> } {
  let out = ''
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done() } })
  return { stream, text: () => out, records: () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }
}

t.test('records are JSON lines carrying the process name, level, fields and message', async (t) => {
  const s = sink()
  const log = createLogger({ name: 'relay', destination: s.stream, base: { region: 'eu-central' } })
  log.info({ event: 'listening', listening: ['udp://127.0.0.1:3478'] }, 'listening on udp://127.0.0.1:3478')
  const [r] = s.records()
  t.match(r, { name: 'relay', level: 30, region: 'eu-central', event: 'listening', listening: ['udp://127.0.0.1:3478'], msg: 'listening on udp://127.0.0.1:3478' })
  t.type(r!['time'], 'number')
})

t.test('secrets are redacted wherever a record names them, at the top level and one level down', async (t) => {
  const s = sink()
  const log = createLogger({ name: 'control-plane', destination: s.stream })
  log.warn({ secret: 's3cret-relay', token: 'eyJhbGciOi.jwt', passcode: '482913', region: { relaySecrets: ['r1', 'r2'], apiKey: 'sk_admin_abc' }, req: { headers: { authorization: 'Bearer sk_demo_x' } } }, 'something')
  const text = s.text()
  for (const leaked of ['s3cret-relay', 'eyJhbGciOi.jwt', '482913', 'r1', 'sk_admin_abc', 'sk_demo_x']) t.notMatch(text, leaked, `${leaked} does not reach the log`)
  t.match(s.records()[0], { secret: '[redacted]', token: '[redacted]', passcode: '[redacted]', region: { relaySecrets: '[redacted]', apiKey: '[redacted]' }, req: { headers: { authorization: '[redacted]' } } })
})

t.test('records below the level are not written', async (t) => {
  const s = sink()
  const log = createLogger({ name: 'relay', level: 'warn', destination: s.stream })
  log.info('quiet')
  log.warn('loud')
  t.same(s.records().map((r) => r['msg']), ['loud'])
})

t.test('--log-level takes the known levels and refuses others with the allowed list', async (t) => {
  const parse = (args: string[]) => {
    let level: unknown
    const program = new Command('x').exitOverride().configureOutput({ writeErr: () => {} }).addOption(logLevelOption()).action((o: { logLevel: string }) => { level = o.logLevel })
    program.parse(args, { from: 'user' })
    return level
  }
  t.equal(parse([]), 'info', 'info by default')
  t.equal(parse(['--log-level', 'debug']), 'debug')
  t.throws(() => parse(['--log-level', 'loud']), { code: 'commander.invalidArgument', message: /Allowed choices are fatal, error, warn, info, debug, trace, silent/ })
})

t.test('pretty records are one readable line each, secrets still redacted', async (t) => {
  const s = sink()
  const log = createLogger({ name: 'relay', pretty: true, destination: s.stream })
  log.info({ event: 'auth', secret: 's3cret-relay' }, 'realm sovereign, 1 secret(s)')
  const lines = s.text().trim().split('\n')
  t.equal(lines.length, 1)
  t.match(lines[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(relay\): realm sovereign, 1 secret\(s\) \{.*"event":"auth".*\}$/)
  t.notMatch(s.text(), 's3cret-relay')
})
