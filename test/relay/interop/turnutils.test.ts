/**
 * Interop with coturn's own test client, turnutils_uclient, on the native data path: two
 * clients allocate, permit each other's relayed address (client-to-client, -y) and
 * exchange 200-byte messages — through channels (the engine's fast path) and through
 * Send/Data indications (handed to TypeScript). Skipped where coturn's tools are not
 * installed (Debian: apt-get install coturn).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import t from 'tap'

import { loadEngine } from '../../../relay/native/index.js'
import { CHANNEL_NUMBER_MAX } from '../../../relay/proto/constants.js'
import { startRelayNode } from '../../../relay/relay-node.js'

const run = promisify(execFile)
const SECRET = 'turnutils-secret-0123456789'

async function onPath(bin: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${bin}`]).then(() => true, () => false)
}

const why = !loadEngine().ok ? 'the native addon is not loaded' : !(await onPath('turnutils_uclient')) ? 'turnutils_uclient (coturn) is not installed' : undefined

for (const mode of ['channels', 'indications'] as const) {
  // turnutils_uclient picks channel numbers across RFC 8656's 0x4000-0x7FFF.
  const skip = why ?? (mode === 'channels' && CHANNEL_NUMBER_MAX < 0x7fff ? 'the server accepts channels up to 0x4FFF only; turnutils_uclient binds up to 0x7FFF' : undefined)
  t.test(`turnutils_uclient exchanges messages client to client through the native path (${mode})`, { skip: skip ?? false }, async (t) => {
    const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], dataPath: 'native', dataThreads: 2 })
    t.teardown(() => node.close())
    const udp = node.addresses.find((a) => a.transport === 'udp')!
    const before = node.sockets.dataThreadStats().reduce((n, s) => n + s.txPackets, 0)
    const { stdout, stderr } = await run('turnutils_uclient', [
      '-y', '-c', ...(mode === 'indications' ? ['-s'] : []), '-m', '2', '-n', '100', '-l', '200', '-z', '2',
      '-u', 'interop', '-W', SECRET, '-p', String(udp.port), '-X', udp.host,
    ], { timeout: 30_000 })
    const out = stdout + stderr
    const sent = Number(/tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\n/.exec(out)?.[1])
    const received = Number(/tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\n/.exec(out)?.[2])
    t.equal(sent, 200, 'both clients sent 100 messages')
    t.ok(received >= 190, `${received} of 200 came back through the relay`)
    t.notMatch(out, /error \d{3}/, 'no TURN error responses')
    const forwarded = node.sockets.dataThreadStats().reduce((n, s) => n + s.txPackets, 0) - before
    if (mode === 'channels') t.ok(forwarded >= 2 * received, `the engine forwarded ${forwarded} datagrams itself`)
  })
}
