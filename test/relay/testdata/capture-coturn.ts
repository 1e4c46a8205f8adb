/**
 * Regenerates the coturn-*.hex captures: packets that coturn (a TURN server nobody here
 * wrote) sends in reply to requests built with relay/proto. Not a test — run it by hand
 * when the captures need refreshing (`npx tsx test/relay/testdata/capture-coturn.ts`);
 * the tests read the committed .hex files so they need neither coturn nor a network.
 * Loopback only; coturn runs on a free port and is stopped at the end.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { turnPassword } from '../../../relay/auth/credentials.js'
import {
  Attr,
  MessageClass,
  Method,
  TRANSPORT_UDP,
  decodeMessage,
  decodeNonce,
  encodeChannelNumber,
  encodeLifetime,
  encodeMessage,
  encodeNonce,
  encodeRealm,
  encodeRequestedTransport,
  encodeUsername,
  encodeXorAddress,
  getAttribute,
  longTermKey,
} from '../../../relay/proto/index.js'

// coturn refuses expiries far in the future, so the username is minted at capture time
// and written to coturn-capture.json next to the packets.
const CAPTURE = {
  secret: 'capture-secret',
  realm: 'capture.test',
  username: `${Math.floor(Date.now() / 1000) + 86400}:capture`,
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

async function main(): Promise<void> {
  const port = await freePort()
  const coturn = spawn('turnserver', [
    '-n', '--listening-ip=127.0.0.1', `--listening-port=${port}`, '--relay-ip=127.0.0.1',
    '--min-port=51000', '--max-port=51100', '--use-auth-secret', `--static-auth-secret=${CAPTURE.secret}`,
    `--realm=${CAPTURE.realm}`, '--fingerprint', '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers',
    '--log-file=stdout', '--simple-log', '--no-software-attribute',
  ], { stdio: process.env.CAPTURE_VERBOSE ? 'inherit' : 'ignore' })
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
  /** Sends until the reply with the same transaction id arrives (coturn may still be starting). */
  const exchange = async (req: Buffer): Promise<Buffer> => {
    const tidHex = req.subarray(8, 20).toString('hex')
    for (let attempt = 0; attempt < 50; attempt++) {
      const reply = new Promise<Buffer | undefined>((resolve) => {
        const onMessage = (m: Buffer) => {
          if (m.length < 20 || m.subarray(8, 20).toString('hex') !== tidHex) return
          clearTimeout(timer)
          sock.off('message', onMessage)
          resolve(m)
        }
        const timer = setTimeout(() => {
          sock.off('message', onMessage)
          resolve(undefined)
        }, 100)
        sock.on('message', onMessage)
      })
      sock.send(req, port, '127.0.0.1')
      const got = await reply
      if (got) return got
    }
    throw new Error('coturn did not answer')
  }
  const password = turnPassword(CAPTURE.secret, CAPTURE.username)
  const key = longTermKey(CAPTURE.username, CAPTURE.realm, password)
  const tid = () => randomBytes(12)
  const out: Record<string, Buffer> = {}
  try {
    const allocate = (extra: { type: number; value: Buffer }[]) => ({
      method: Method.Allocate,
      cls: MessageClass.Request,
      transactionId: tid(),
      attributes: [{ type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) }, ...extra],
    })
    out['coturn-allocate-401'] = await exchange(encodeMessage(allocate([]), { fingerprint: true }))
    const nonce = decodeNonce(getAttribute(decodeMessage(out['coturn-allocate-401']!), Attr.Nonce)!.value)
    const auth = [
      { type: Attr.Username, value: encodeUsername(CAPTURE.username) },
      { type: Attr.Realm, value: encodeRealm(CAPTURE.realm) },
      { type: Attr.Nonce, value: encodeNonce(nonce) },
    ]
    out['coturn-allocate-success'] = await exchange(encodeMessage(allocate([...auth, { type: Attr.Lifetime, value: encodeLifetime(600) }]), { integrityKey: key, fingerprint: true }))
    const peerTid = tid()
    out['coturn-create-permission-success'] = await exchange(
      encodeMessage({ method: Method.CreatePermission, cls: MessageClass.Request, transactionId: peerTid, attributes: [{ type: Attr.XorPeerAddress, value: encodeXorAddress({ family: 4, address: '127.0.0.1', port: 9 }, peerTid) }, ...auth] }, { integrityKey: key, fingerprint: true }),
    )
    const bindTid = tid()
    out['coturn-channel-bind-success'] = await exchange(
      encodeMessage({ method: Method.ChannelBind, cls: MessageClass.Request, transactionId: bindTid, attributes: [{ type: Attr.ChannelNumber, value: encodeChannelNumber(0x4001) }, { type: Attr.XorPeerAddress, value: encodeXorAddress({ family: 4, address: '127.0.0.1', port: 9 }, bindTid) }, ...auth] }, { integrityKey: key, fingerprint: true }),
    )
    out['coturn-channel-bind-400'] = await exchange(
      encodeMessage({ method: Method.ChannelBind, cls: MessageClass.Request, transactionId: bindTid, attributes: [{ type: Attr.ChannelNumber, value: encodeChannelNumber(0x3000) }, { type: Attr.XorPeerAddress, value: encodeXorAddress({ family: 4, address: '127.0.0.1', port: 9 }, bindTid) }, ...auth] }, { integrityKey: key, fingerprint: true }),
    )
    out['coturn-refresh-delete-success'] = await exchange(
      encodeMessage({ method: Method.Refresh, cls: MessageClass.Request, transactionId: tid(), attributes: [{ type: Attr.Lifetime, value: encodeLifetime(0) }, ...auth] }, { integrityKey: key, fingerprint: true }),
    )
  } finally {
    sock.close()
    coturn.kill('SIGTERM')
  }
  const dir = fileURLToPath(new URL('.', import.meta.url))
  for (const [name, buf] of Object.entries(out)) {
    const lines = []
    for (let i = 0; i < buf.length; i += 4) lines.push(buf.subarray(i, i + 4).toString('hex').replace(/(..)(?=.)/g, '$1 '))
    writeFileSync(`${dir}${name}.hex`, `# coturn 4.6.1 reply captured by capture-coturn.ts; credentials in coturn-capture.json\n${lines.join('\n')}\n`)
    console.log(name, buf.length)
  }
  writeFileSync(`${dir}coturn-capture.json`, `${JSON.stringify({ coturn: '4.6.1', ...CAPTURE }, null, 2)}\n`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
