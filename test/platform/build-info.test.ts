import { readFileSync } from 'node:fs'

import t from 'tap'
import { Registry } from 'prom-client'

import { buildInfo, packageVersion, registerBuildInfo } from '../../platform/build-info.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

t.test('build info carries the package version and the Node version this process runs on', async (t) => {
  t.equal(packageVersion(), pkg.version)
  t.same(buildInfo(), { version: pkg.version, nodeVersion: process.versions.node })
})

t.test('a relay exports sovereign_build_info with its data path; a control plane without one', async (t) => {
  const relay = new Registry()
  registerBuildInfo(relay, { dataPath: 'native' })
  t.match(await relay.metrics(), new RegExp(`^sovereign_build_info\\{version="${pkg.version}",node_version="${process.versions.node}",data_path="native"\\} 1$`, 'm'))
  const cp = new Registry()
  registerBuildInfo(cp)
  t.match(await cp.metrics(), new RegExp(`^sovereign_build_info\\{version="${pkg.version}",node_version="${process.versions.node}"\\} 1$`, 'm'))
})
