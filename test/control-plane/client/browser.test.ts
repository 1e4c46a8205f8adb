/**
 * The signaling client in a real browser: bundle it for the browser platform (a Node-only
 * import fails the bundle), load it in headless Chromium from a loopback page, join the
 * scripted control plane with the browser's own WebSocket and WebCrypto, and open a
 * managed media key sealed in Node.
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import t from 'tap'

import { generateMediaKey } from '../../../control-plane/keys/media-key.js'
import { sealMediaKey } from '../../../control-plane/keys/seal-key.js'
import { FakeControlPlane } from './fake-control-plane.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))
const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'

t.test('the client joins and opens a managed key inside headless Chromium', { skip: CHROMIUM ? false : 'no Chromium on this machine' }, async (t) => {
  const bundle = await build({
    stdin: {
      contents: `
        import { SignalClient } from './control-plane/client/signal-client.ts'
        import { generateParticipantKeyPair } from './control-plane/client/open-key.ts'
        globalThis.sovereign = { SignalClient, generateParticipantKeyPair }`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  })
  const script = bundle.outputFiles[0]!.text
  t.notMatch(script, /require\(["']node:/, 'no Node built-ins in the bundle')

  const page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<!doctype html><meta charset="utf-8"><script>${script.replace(/<\/script/g, '<\\/script')}</script>`)
  })
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => page.close(() => r())))
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())

  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const tab = await browser.newPage()
  await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`)

  const inBrowser = tab.evaluate(async (url: string) => {
    const { SignalClient, generateParticipantKeyPair } = (globalThis as any).sovereign
    const keyPair = await generateParticipantKeyPair()
    const client = SignalClient.connect(url, { WebSocket, token: 'tok.en.x', keyPair })
    const key = new Promise<{ version: number; key: Uint8Array }>((res, rej) => {
      client.once('media-key', res)
      client.once('key-error', rej)
    })
    const joined = await client.joined
    const k = await key
    await client.close()
    return { kind: joined.kind, version: k.version, key: Array.from(k.key) }
  }, cp.url)

  const conn = await cp.connections.next()
  const join = await conn.messages.next()
  if (join.type !== 'join' || join.publicKey === undefined) throw new Error('expected a join with a public key')
  const mediaKey = generateMediaKey(MEETING, 3)
  conn.send({
    type: 'welcome', protocol: 1, participantId: 'p_browser', displayName: 'Browser', role: 'attendee', capabilities: [],
    iceServers: [], participants: [],
    meeting: {
      id: MEETING, homeRegion: 'eu-west', residencyMode: 'region', keyMode: 'managed', locked: false, waitingRoom: false,
      joinBeforeHost: false, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host', capacity: 10,
    },
    key: { version: 3, sealed: await sealMediaKey(mediaKey, { participantId: 'p_browser', publicKey: join.publicKey }) },
  })
  const result = await inBrowser
  t.same(result, { kind: 'welcome', version: 3, key: Array.from(mediaKey.key) })
})
