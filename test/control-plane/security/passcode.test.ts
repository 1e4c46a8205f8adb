import t from 'tap'

import { PASSCODE_ENTROPY_BITS, generatePasscode, passcodeMatches } from '../../../control-plane/security/passcode.js'

t.test('generated passcodes are 12 digits with about 40 bits of entropy', async (t) => {
  const codes = Array.from({ length: 200 }, generatePasscode)
  t.same(codes.filter((c) => !/^\d{12}$/.test(c)), [], 'every code is 12 digits')
  t.equal(new Set(codes).size, 200, 'no repeats in 200 draws')
  t.ok(PASSCODE_ENTROPY_BITS > 39.8 && PASSCODE_ENTROPY_BITS < 40)
})

t.test('every digit position uses the whole digit range', async (t) => {
  const digits = new Set<string>()
  for (let i = 0; i < 100; i++) digits.add(generatePasscode()[0]!)
  t.equal(digits.size, 10)
})

t.test('passcodes match only when identical', async (t) => {
  t.ok(passcodeMatches('123456789012', '123456789012'))
  t.notOk(passcodeMatches('123456789012', '123456789013'))
  t.notOk(passcodeMatches('123456789012', '12345678901'))
  t.notOk(passcodeMatches('123456789012', undefined))
  t.notOk(passcodeMatches('123456789012', ''))
})
