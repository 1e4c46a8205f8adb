import t from 'tap'

import { resolveAttendeePolicy, resolveSettings, updateSettings } from '../../../control-plane/services/meeting-settings.js'
import { network } from '../app/fixture.js'

const net = network()
const acme = net.config.tenantById('acme')!
const globex = net.config.tenantById('globex')!
const gen = () => '000000000000'

t.test('absent fields come from the tenant defaults, then the built-ins', async (t) => {
  const { settings, passcode } = resolveSettings(acme, {}, gen)
  t.same(settings, { passcodeRequired: true, waitingRoom: false, joinBeforeHost: false, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host', allowRejoinAfterRemoval: false, capacity: 100, keyMode: 'e2ee' })
  t.equal(passcode, '000000000000', 'generated because the meeting requires one')
  const g = resolveSettings(globex, {}, gen)
  t.equal(g.passcode, undefined, 'a tenant that does not require passcodes gets none')
  t.equal(g.settings.allowRejoinAfterRemoval, true, 'tenant default')
})

t.test('a given passcode is kept and turns the requirement on', async (t) => {
  const r = resolveSettings(globex, { passcode: 'hunter22' }, gen)
  t.equal(r.passcode, 'hunter22')
  t.equal(r.settings.passcodeRequired, true)
})

t.test('an update keeps unspecified fields and the existing passcode; turning the requirement off drops it', async (t) => {
  const base = resolveSettings(acme, { passcode: 'abcd' }, gen)
  const u = updateSettings(base.settings, base.passcode, { waitingRoom: true }, gen)
  t.equal(u.passcode, 'abcd')
  t.equal(u.settings.waitingRoom, true)
  t.equal(u.settings.capacity, 100)
  t.equal(updateSettings(u.settings, u.passcode, { passcodeRequired: false }, gen).passcode, undefined)
  t.equal(updateSettings({ ...u.settings, passcodeRequired: false }, undefined, { passcodeRequired: true }, gen).passcode, '000000000000')
})

t.test('an attendee policy given in part is completed sensibly', async (t) => {
  t.same(resolveAttendeePolicy(acme, undefined), { mode: 'open', countries: [], unknown: 'deny' })
  t.same(resolveAttendeePolicy(acme, { mode: 'allow', countries: ['DE'] }), { mode: 'allow', countries: ['DE'], unknown: 'deny' })
  t.same(resolveAttendeePolicy(acme, { mode: 'block', countries: ['CN'], unknown: 'allow' }), { mode: 'block', countries: ['CN'], unknown: 'allow' })
})
