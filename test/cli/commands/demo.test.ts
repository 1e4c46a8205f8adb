/**
 * `sovereign demo` against a local network started here (memory store, ephemeral ports),
 * run in-process through commander with its output, hold and exit code captured (a child
 * process would spend seconds compiling the CLI; the process wiring is two lines).
 */
import { createServer, type AddressInfo } from 'node:net'

import { Command } from 'commander'
import t from 'tap'

import { registerDemo } from '../../../cli/commands/demo.js'
import { releaseNativePeers } from '../../../deploy/demo/run-demo.js'
import { startLocalNetwork, type LocalNetwork } from '../../../deploy/local/local-network.js'

const DEMO_KEY = 'sk_test_demo_tenant_local_network_only_not_secret00'

let network: LocalNetwork
let url: string

t.before(async () => {
  network = await startLocalNetwork({ ephemeralPorts: true, memory: true, controlPlaneLogLevel: 'error' })
  url = network.regions.find((r) => r.id === 'eu-central')!.controlPlaneUrl
})
t.teardown(async () => {
  await network?.close()
  releaseNativePeers()
})

/** Runs `sovereign demo …` in-process; `whileHeld` runs (with the output so far) while --stay holds, then the hold ends. */
async function demo(args: string[], whileHeld: (out: string) => Promise<void> = async () => {}): Promise<{ out: string; err: string; code: number | undefined; held: boolean }> {
  let out = ''
  let err = ''
  let code: number | undefined
  let held = false
  const program = new Command('sovereign').exitOverride()
  registerDemo(program, {
    out: (text) => { out += `${text}\n` },
    err: (text) => { err += `${text}\n` },
    untilStopped: async () => {
      held = true
      await whileHeld(out)
    },
    finish: (c) => { code = c },
  })
  await program.parseAsync(['node', 'sovereign', 'demo', ...args])
  return { out, err, code, held }
}

t.test('sovereign demo --end narrates every step with ✔, ends the meeting and exits 0', async (t) => {
  const run = await demo(['--url', url, '--end'])
  t.equal(run.code, 0, `exit code 0 (stderr: ${run.err.trim() || 'empty'})`)
  const marks = run.out.split('\n').filter((l) => /^[✔✘] /.test(l))
  t.equal(marks.length, 11, 'eleven narrated steps')
  t.same(marks.filter((l) => l.startsWith('✘')), [], 'none of them failed')
  t.match(run.out, /denied SR_COUNTRY_FORBIDDEN.*\[SR_COUNTRY_FORBIDDEN, country_blocked\]/, 'the refused attendee is printed with its codes')
  t.match(run.out, /CreatePermission 403 +\[STUN 403, peer_not_in_meeting\]/, 'the refused foreign peer is printed with its codes')
  t.match(run.out, /compliant: yes \(0 violations\)/, 'the report summary is printed')
  t.match(run.out, /ended: every credential revoked/, 'the meeting was ended')
  t.match(run.out, /All 11 expected outcomes happened\./)
  t.equal(run.held, false, 'without --stay it does not hold')
})

t.test('sovereign demo --stay keeps the participants connected until stopped, with the meeting running', async (t) => {
  const get = async (path: string) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } })).json() as Promise<any>
  let meetingId: string | undefined
  let during: { status: string; admitted: string[] } | undefined
  const run = await demo(['--url', url, '--stay'], async (out) => {
    meetingId = /Meeting (eu-central\.\S+) is left running/.exec(out)?.[1]
    const meeting = await get(`/v1/meetings/${meetingId}`)
    const { participants } = await get(`/v1/meetings/${meetingId}/participants`)
    during = { status: meeting.status, admitted: (participants as { identity: string; status: string }[]).filter((p) => p.status === 'admitted').map((p) => p.identity).sort() }
  })
  t.equal(run.code, 0, 'exit code 0')
  t.ok(run.held, 'it held until stopped')
  t.match(run.out, /3 participants stay connected; Ctrl-C stops\./, 'and said so')
  t.same(during, { status: 'active', admitted: ['camille', 'hanna', 'oliver'] }, 'while held, the meeting runs with its three admitted participants')
  const { participants } = await get(`/v1/meetings/${meetingId}/participants`)
  t.same((participants as { status: string }[]).filter((p) => p.status === 'admitted'), [], 'once stopped, they have left')
  t.equal((await get(`/v1/meetings/${meetingId}`)).status, 'active', 'and the meeting is still running')
})

t.test('sovereign demo with a wrong key prints ✘ with the coded reason and exits 1', async (t) => {
  const run = await demo(['--url', url, '--key', 'sk_test_not_a_key_of_this_network_000000000000000'])
  t.equal(run.code, 1, 'exit code 1')
  t.match(run.out, /^✘ Create a meeting in eu-central/m, 'the failed step is marked ✘')
  t.match(run.out, /answered 401 SR_UNAUTHENTICATED/, 'with the control plane\'s code')
  t.match(run.out, /1 of 1 expected outcomes did NOT happen: meeting/)
})

t.test('sovereign demo with nothing listening says to start the network, in one line, and exits 1', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const run = await demo(['--url', `http://127.0.0.1:${port}`])
  t.equal(run.code, 1, 'exit code 1')
  t.equal(run.err, `sovereign demo: no control plane answers at http://127.0.0.1:${port} (ECONNREFUSED) — start the network first: npm start\n`, 'one line with the way out')
  t.notMatch(run.out, /[✔✘]/, 'and no step narrated')
})
