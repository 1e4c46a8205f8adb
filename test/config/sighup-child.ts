/**
 * Child process for the SIGHUP test: holds a ConfigStore over the file named in argv,
 * reloads on SIGHUP, and reports each outcome as one JSON line on stdout.
 */
import { ConfigStore } from '../../config/config-store.js'

const path = process.argv[2]
if (path === undefined) throw new Error('usage: sighup-child <config file>')
const store = await ConfigStore.open(path)
const say = (message: object): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}
store.on('change', ({ config, previous }) => say({ event: 'change', name: config.name, previous: previous.name }))
store.on('rejected', (error) => say({ event: 'rejected', paths: error.issues.map((issue) => issue.path) }))
store.watchSighup(process)
process.on('SIGTERM', () => {
  store.close()
  process.exit(0)
})
say({ event: 'ready', name: store.current.name })
// Stay alive until the parent sends SIGTERM.
setInterval(() => {}, 1 << 30)
