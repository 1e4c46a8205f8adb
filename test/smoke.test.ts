import t from 'tap'
t.test('the toolchain runs TypeScript tests', async (t) => {
  const x: number = 1
  t.equal(x, 1)
})
