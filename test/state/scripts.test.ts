import t from 'tap'
import { SCRIPTS, ScriptCode } from '../../state/scripts.js'
import { REFUSAL_BY_CODE } from '../../state/meetings.js'

t.test('every script opens with its KEYS/ARGV/returns contract', async (t) => {
  for (const s of SCRIPTS.values()) {
    const head = s.lua.slice(0, s.lua.indexOf(']]'))
    t.match(head, /^--\[\[/, `${s.name} opens with a comment`)
    t.match(head, /KEYS\[1\]/, `${s.name} documents KEYS`)
    t.match(head, /returns /, `${s.name} documents its result`)
  }
})

t.test('the number of keys in a file name is the number of KEYS the script documents and uses', async (t) => {
  for (const s of SCRIPTS.values()) {
    const used = [...s.lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]))
    t.equal(Math.max(...used), s.numberOfKeys, `${s.name}-${s.numberOfKeys}.lua`)
    t.notMatch(s.lua, /redis\.call\('(KEYS|SCAN)'/, `${s.name} touches only declared keys`)
  }
})

t.test('every negative return code a script documents is in the enum and maps to a refusal', async (t) => {
  const codes = new Set<number>()
  for (const s of SCRIPTS.values()) for (const m of s.lua.matchAll(/return (-\d+)/g)) codes.add(Number(m[1]))
  t.ok(codes.size > 0)
  for (const c of codes) {
    t.ok(Object.values(ScriptCode).includes(c), `${c} is a ScriptCode`)
    t.ok(REFUSAL_BY_CODE[c], `${c} maps to a refusal`)
  }
})
