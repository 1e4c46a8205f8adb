#!/usr/bin/env node
/**
 * `sovereign <command>`: one binary for every process of the network. Each command
 * lives in its own file under cli/commands/ and registers itself here.
 */
import { Command } from 'commander'

import { registerRelay } from './commands/relay.js'
import { registerStart } from './commands/start.js'
import { registerConfig } from './commands/config.js'
import { registerToken } from './commands/token.js'
import { registerReport } from './commands/report.js'
import { registerGeo } from './commands/geo.js'
import { registerControlPlane } from './commands/control-plane.js'
import { registerState } from './commands/state.js'
import { registerDemo } from './commands/demo.js'
import { describeFailure } from './failure.js'
import { packageVersion } from '../platform/build-info.js'

export function buildProgram(): Command {
  const program = new Command('sovereign')
    .description('Sovereign Relay: data-residency-aware media relays and control planes')
    .version(packageVersion())
    .showHelpAfterError()
  registerRelay(program)
  registerStart(program)
  registerConfig(program)
  registerToken(program)
  registerReport(program)
  registerGeo(program)
  registerControlPlane(program)
  registerState(program)
  registerDemo(program)
  return program
}

try {
  await buildProgram().parseAsync(process.argv)
} catch (err) {
  // A command that cannot start (bad flag values, unreadable files, a taken port) ends here.
  console.error(describeFailure(err))
  process.exitCode = 1
}
