import { Command, CommanderError } from 'commander'
import t from 'tap'

import { registerToken } from '../../../cli/commands/token.js'
import { verifyParticipantToken } from '../../../control-plane/tokens/participant-token.js'
import { MEETING_ID } from '../../control-plane/report/fixtures/audit-trail.js'

async function mint(args: string[]): Promise<string> {
  let out = ''
  const program = new Command('sovereign').exitOverride().configureOutput({ writeErr: () => undefined })
  registerToken(program, { write: (s: string) => { out += s } })
  await program.parseAsync(['token', 'mint', ...args], { from: 'user' })
  return out.trim()
}

t.test('token mint with --secret-env prints a token that verifies with the same secret', async (t) => {
  const secret = 'cli-test-secret-0123456789'
  process.env.SOVEREIGN_TEST_SECRET = secret
  t.teardown(() => { delete process.env.SOVEREIGN_TEST_SECRET })
  const jwt = await mint(['--tenant', 'acme', '--secret-env', 'SOVEREIGN_TEST_SECRET', '--meeting', MEETING_ID, '--identity', 'alice',
    '--name', 'Alice', '--role', 'host', '--capability', 'fileTransfer', '--ttl', '60'])
  const claims = await verifyParticipantToken(jwt, { secretFor: (tenant) => (tenant === 'acme' ? secret : undefined), now: Date.now, meetingId: MEETING_ID })
  t.same([claims.identity, claims.displayName, claims.role, claims.capabilities, claims.expiresAt - claims.issuedAt], ['alice', 'Alice', 'host', ['fileTransfer'], 60])
})

t.test('token mint with --config takes the tenant secret from the network config', async (t) => {
  const config = new URL('../../../deploy/examples/local-network.yaml', import.meta.url).pathname
  const { loadConfig } = await import('../../../config/load-config.js')
  const tenant = (await loadConfig(config)).tenants[0]!
  const jwt = await mint(['--tenant', tenant.id, '--config', config, '--meeting', MEETING_ID, '--identity', 'bob'])
  const claims = await verifyParticipantToken(jwt, { secretFor: (id) => (id === tenant.id ? tenant.tokenSecret : undefined), now: Date.now })
  t.same([claims.tenantId, claims.identity, claims.role, claims.expiresAt - claims.issuedAt], [tenant.id, 'bob', 'attendee', 600])
  await t.rejects(mint(['--tenant', 'no-such-tenant', '--config', config, '--meeting', MEETING_ID, '--identity', 'bob']), /tenant no-such-tenant is not in/)
})

t.test('token mint refuses a malformed meeting id, a ttl over 24 h and an unknown role', async (t) => {
  const base = ['--tenant', 'acme', '--secret-env', 'X', '--identity', 'a']
  await t.rejects(mint([...base, '--meeting', 'nope']), CommanderError)
  await t.rejects(mint([...base, '--meeting', MEETING_ID, '--ttl', '86401']), CommanderError)
  await t.rejects(mint([...base, '--meeting', MEETING_ID, '--role', 'admin']), CommanderError)
})

t.test('token mint says which variable is missing', async (t) => {
  delete process.env.SOVEREIGN_UNSET_SECRET
  await t.rejects(mint(['--tenant', 'acme', '--secret-env', 'SOVEREIGN_UNSET_SECRET', '--meeting', MEETING_ID, '--identity', 'a']), /SOVEREIGN_UNSET_SECRET is not set/)
})
