/**
 * Regenerates libjuice-*.hex: the Allocate requests a real WebRTC stack (libjuice inside
 * libdatachannel, via node-datachannel) sends to its TURN server — first unauthenticated,
 * then, after our 401 built with relay/proto, signed with the long-term credential.
 * Not a test; run by hand: `npx tsx test/relay/testdata/capture-libjuice.ts`. Loopback only.
 */
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import nodeDataChannel from 'node-datachannel'
import { turnPassword } from '../../../relay/auth/credentials.js'
import { Attr, MessageClass, StunErrorCode, decodeMessage, encodeErrorCode, encodeMessage, encodeNonce, encodeRealm } from '../../../relay/proto/index.js'

const CAPTURE = {
  secret: 'capture-secret',
  realm: 'capture.test',
  nonce: 'obMatJos2AAAAcapturenonce',
  username: '4102444800:eu-west.0123456789abcdefghjkmnpqrs:p_capture',
}

async function main(): Promise<void> {
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
  const { port } = sock.address()
  const captured: Buffer[] = []
  const done = new Promise<void>((resolve) => {
    sock.on('message', (msg, rinfo) => {
      let m
      try {
        m = decodeMessage(msg)
      } catch {
        return
      }
      if (m.method !== 0x003 || m.cls !== MessageClass.Request) return
      const signed = m.attributes.some((a) => a.type === Attr.MessageIntegrity)
      if (captured.length === 0 && !signed) {
        captured.push(msg)
        const reply = encodeMessage(
          {
            method: m.method,
            cls: MessageClass.ErrorResponse,
            transactionId: m.transactionId,
            attributes: [
              { type: Attr.ErrorCode, value: encodeErrorCode(StunErrorCode.Unauthorized) },
              { type: Attr.Realm, value: encodeRealm(CAPTURE.realm) },
              { type: Attr.Nonce, value: encodeNonce(CAPTURE.nonce) },
            ],
          },
          { fingerprint: true },
        )
        sock.send(reply, rinfo.port, rinfo.address)
      } else if (captured.length === 1 && signed) {
        captured.push(msg)
        resolve()
      }
    })
  })
  const pc = new nodeDataChannel.PeerConnection('capture', {
    iceServers: [{ hostname: '127.0.0.1', port, username: CAPTURE.username, password: turnPassword(CAPTURE.secret, CAPTURE.username), relayType: 'TurnUdp' }],
    // (without relayType node-datachannel treats the entry as a plain STUN server)
    iceTransportPolicy: 'relay',
  })
  pc.createDataChannel(randomBytes(4).toString('hex'))
  const timeout = setTimeout(() => {
    console.error('libjuice sent no signed Allocate in 10 s')
    process.exit(1)
  }, 10_000)
  await done
  clearTimeout(timeout)
  pc.close()
  sock.close()
  const dir = fileURLToPath(new URL('.', import.meta.url))
  for (const [name, buf] of [['libjuice-allocate-request', captured[0]!], ['libjuice-allocate-signed', captured[1]!]] as const) {
    const lines = []
    for (let i = 0; i < buf.length; i += 4) lines.push(buf.subarray(i, i + 4).toString('hex').replace(/(..)(?=.)/g, '$1 '))
    writeFileSync(`${dir}${name}.hex`, `# libjuice (node-datachannel) Allocate captured by capture-libjuice.ts; credentials in libjuice-capture.json\n${lines.join('\n')}\n`)
    console.log(name, buf.length)
  }
  writeFileSync(`${dir}libjuice-capture.json`, `${JSON.stringify(CAPTURE, null, 2)}\n`)
  nodeDataChannel.cleanup()
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
