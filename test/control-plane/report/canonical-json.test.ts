import t from 'tap'

import { canonicalJson } from '../../../control-plane/report/canonical-json.js'

t.test('the RFC 8785 §3.2.2 example canonicalises to the published output', async (t) => {
  const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}')
  t.equal(canonicalJson(input), '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
})

t.test('members are sorted by UTF-16 code units, recursively', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, '€': true }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1,"€":true}')
  t.equal(canonicalJson({ '\ufb33': 2, '\ud83d\ude00': 1 }), '{"\ud83d\ude00":1,"\ufb33":2}', 'a surrogate pair (0xD83D) sorts before U+FB33 by code unit')
})

t.test('undefined members are omitted and values without JSON form are refused', async (t) => {
  t.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}')
  t.throws(() => canonicalJson({ a: Number.NaN }), TypeError)
  t.throws(() => canonicalJson({ a: Infinity }), TypeError)
  t.throws(() => canonicalJson({ a: 1n }), TypeError)
})

t.test('the canonical form ignores the input\'s member order and whitespace', async (t) => {
  t.equal(canonicalJson(JSON.parse('{ "y" : [1, 2],\n "x": "s" }')), canonicalJson({ x: 's', y: [1, 2] }))
})
