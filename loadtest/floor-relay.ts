/**
 * A reference for what Node's dgram alone costs: the least a Node ChannelData relay can do
 * per packet, with no TURN logic at all. Each new client address gets its own "relayed"
 * socket that forwards payloads to one fixed peer; what comes back is framed as ChannelData
 * on the client's channel. No authentication, no permissions, no quotas: it is a floor to
 * compare our relay against (how much of its per-packet cost is Node's dgram), not a server.
 *
 * Run directly: `floor-relay.js <host> <peerHost> <peerPort> <lookup: default|sync>`;
 * reports `{ type: 'ready', port }` over IPC.
 */
import dgram from 'node:dgram'
import { pathToFileURL } from 'node:url'

import { encodeChannelDataHeader } from '../relay/proto/channel-data.js'

/** dgram's default lookup defers every send to the next tick even for an IP literal; this does not. */
const syncLookup = (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void =>
  cb(null, address, address.includes(':') ? 6 : 4)

function runChild(host: string, peerHost: string, peerPort: number, lookup: string): void {
  const socketOptions = { type: 'udp4' as const, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, ...(lookup === 'sync' ? { lookup: syncLookup } : {}) }
  const listener = dgram.createSocket(socketOptions)
  const relays = new Map<string, dgram.Socket>()
  listener.on('message', (msg, rinfo) => {
    if (msg.length < 4 || (msg[0]! & 0xc0) !== 0x40) return
    const key = `${rinfo.address}:${rinfo.port}`
    let relay = relays.get(key)
    if (!relay) {
      const channel = msg.readUInt16BE(0)
      const r = dgram.createSocket({ ...socketOptions, recvBufferSize: 256 << 10, sendBufferSize: 256 << 10 })
      r.on('message', (data) => {
        listener.send([encodeChannelDataHeader(channel, data.length), data], rinfo.port, rinfo.address)
      })
      r.bind(0, host)
      relays.set(key, r)
      relay = r
    }
    relay.send(msg, 4, msg.readUInt16BE(2), peerPort, peerHost)
  })
  listener.bind(0, host, () => process.send?.({ type: 'ready', port: listener.address().port }))
  const stop = (): void => process.exit(0)
  process.on('SIGTERM', stop)
  process.on('disconnect', stop)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild(process.argv[2] ?? '127.0.0.1', process.argv[3] ?? '127.0.0.2', Number(process.argv[4]), process.argv[5] ?? 'default')
}
