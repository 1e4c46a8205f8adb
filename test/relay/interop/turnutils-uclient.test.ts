/**
 * Interop with coturn's own test client, `turnutils_uclient -y` (client-to-client: each
 * client allocates, permits and binds a channel to the other's relayed address and the
 * messages go round through the relay). It binds channels in RFC 5766's 0x4000–0x7FFF,
 * which this relay once answered with 400 (RFC 8656 §12 says 0x4000–0x4FFF); coturn and
 * libwebrtc accept the wider range, and so must we. Over UDP and over TCP, with 0 loss.
 *
 * `-c` (no RTCP allocations): without it uclient asks EVEN-PORT with the R bit for an
 * RTP/RTCP pair, which this relay does not reserve and answers 508 (RFC 8656 §7.2 step 6).
 */
import { spawn } from 'node:child_process'
import t from 'tap'

import { onPath } from '../../../loadtest/spawn-node.js'
import { startRelayNode } from '../../../relay/relay-node.js'
import { CHANNEL_NUMBER_MAX } from '../../../relay/proto/constants.js'
import type { Allocation } from '../../../relay/server/allocation.js'

const SECRET = 'uclient-secret-0123456789'
const skip = onPath('turnutils_uclient') ? false : 'turnutils_uclient (coturn) is not on PATH'

interface UclientRun {
  code: number | null
  output: string
}

function runUclient(args: string[], timeoutMs: number): Promise<UclientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/** Channel numbers bound on an allocation above RFC 8656's 0x4FFF. */
function highChannels(a: Allocation): number[] {
  const out: number[] = []
  for (let n = 0x5000; n <= CHANNEL_NUMBER_MAX; n++) if (a.channels.byNumber(n)) out.push(n)
  return out
}

for (const transport of ['udp', 'tcp'] as const) {
  t.test(`turnutils_uclient -y over ${transport.toUpperCase()} binds channels up to 0x7FFF and loses no message`, { skip }, async (t) => {
    const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'] })
    t.teardown(() => node.close())
    // uclient deletes its allocations before it exits: keep them as they are created.
    const allocations: Allocation[] = []
    node.server.events.on('allocation-created', (info) => {
      const a = node.server.table.byId(info.id)
      if (a) allocations.push(a)
    })
    const refused: string[] = []
    node.server.events.on('request', (method, outcome) => {
      if (outcome >= 400) refused.push(`${method} ${outcome}`)
    })
    const listener = node.addresses.find((a) => a.transport === transport)!
    const messages = 20
    // Each client binds a channel at a random number in 0x4000–0x7FFF; with six, the chance
    // that none lands above 0x4FFF (the range this test is about) is 4^-6.
    const clients = 6
    const args = [
      ...(transport === 'tcp' ? ['-t'] : []),
      '-y', '-c',
      '-n', String(messages),
      '-m', String(clients),
      '-z', '5',
      '-W', SECRET,
      '-u', 'uclient',
      '-p', String(listener.port),
      listener.host,
    ]
    const run = await runUclient(args, 60_000)
    t.equal(run.code, 0, `uclient exits 0\n${run.output}`)
    t.same(refused.filter((r) => !r.endsWith(' 401')), [], 'no request was refused (401 is the first, unauthenticated try)')

    // The closing totals over all clients (the per-tick lines carry `msz=`).
    const totals = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/.exec(run.output)
    t.ok(totals, 'uclient printed its totals')
    const sent = Number(totals?.[1])
    t.equal(sent, messages * clients, 'every message was sent')
    t.equal(Number(totals?.[2]), sent, 'every message came back')
    t.match(run.output, /Total lost packets 0 \(/, 'uclient counts no loss')

    t.ok(allocations.length >= clients, `the relay allocated for every client (${allocations.length})`)
    const high = allocations.flatMap(highChannels)
    t.ok(high.length > 0, `uclient bound channels above 0x4FFF: ${high.map((n) => '0x' + n.toString(16)).join(', ')}`)
  })
}
