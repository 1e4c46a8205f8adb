import t from 'tap'

import { filesIn, read, yamlDocuments } from './support/deploy-files.js'

t.test('every YAML and JSON file under deploy/ parses', async (t) => {
  const yaml = filesIn('', ['.yaml', '.yml'])
  const json = filesIn('', ['.json'])
  t.ok(yaml.length >= 10 && json.length >= 3, `${yaml.length} YAML and ${json.length} JSON files`)
  for (const f of yaml) t.doesNotThrow(() => yamlDocuments(f), f)
  for (const f of json) t.doesNotThrow(() => JSON.parse(read(f)), f)
})

t.test('a broken YAML document is reported (the parse check is not vacuous)', async (t) => {
  const { parseAllDocuments } = await import('yaml')
  const [doc] = parseAllDocuments('a: [1, 2\nb: 3\n') as ReturnType<typeof parseAllDocuments> & unknown[]
  t.ok((doc as { errors: unknown[] }).errors.length > 0)
})
