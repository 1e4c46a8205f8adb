import t from 'tap'

import { parseIp } from '../../../geo/address/ip-address.js'
import { PrefixTrie } from '../../../geo/address/prefix-trie.js'

const bytes = (ip: string): Uint8Array => {
  const b = new Uint8Array(16)
  if (parseIp(ip, b) === 0) throw new Error(`bad test address ${ip}`)
  return b
}

t.test('the longest covering prefix wins, and an uncovered address finds nothing', async (t) => {
  const trie = new PrefixTrie<string>(4)
  trie.insert(bytes('10.0.0.0'), 8, 'wide')
  trie.insert(bytes('10.1.0.0'), 16, 'narrow')
  t.equal(trie.match(bytes('10.1.2.3')), 'narrow')
  t.equal(trie.match(bytes('10.2.0.1')), 'wide')
  t.equal(trie.match(bytes('11.0.0.1')), undefined)
  t.equal(trie.size, 2)
})

t.test('inserting a prefix again replaces its value and returns the old one', async (t) => {
  const trie = new PrefixTrie<string>(6)
  t.equal(trie.insert(bytes('2001:db8::'), 32, 'a'), undefined)
  t.equal(trie.insert(bytes('2001:db8::'), 32, 'b'), 'a')
  t.equal(trie.match(bytes('2001:db8::1')), 'b')
})

t.test('a /0 prefix covers every address, and grows past its first node blocks', async (t) => {
  const trie = new PrefixTrie<number>(6)
  trie.insert(bytes('::'), 0, 0)
  for (let i = 1; i <= 40; i++) trie.insert(bytes(`2001:db8:${i.toString(16)}::`), 48, i)
  t.equal(trie.match(bytes('2a00::1')), 0)
  t.equal(trie.match(bytes('2001:db8:28::1')), 40)
})
