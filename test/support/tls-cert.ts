/**
 * A throwaway CA and a server certificate it signed, made by the openssl CLI for TLS tests
 * (Node can use certificates but not make them). The leaf names `localhost` and 127.0.0.1.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCertificates {
  /** The CA a client trusts. */
  readonly ca: string
  /** The server's chain and key (PEM), and the files they are in. */
  readonly cert: string
  readonly key: string
  readonly certFile: string
  readonly keyFile: string
  /** Issues another leaf of the same CA into the same files (a renewal). */
  renew(): Promise<{ cert: string; key: string }>
  remove(): Promise<void>
}

export async function makeTestCertificates(commonName = 'localhost'): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-tls-'))
  const f = (name: string): string => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=sovereign test CA'])
  await writeFile(f('leaf.ext'), `subjectAltName=DNS:${commonName},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`)
  const issue = async (): Promise<{ cert: string; key: string }> => {
    await run('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${commonName}`])
    await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('leaf.ext')])
    return { cert: await readFile(f('server.pem'), 'utf8'), key: await readFile(f('server.key'), 'utf8') }
  }
  const first = await issue()
  return {
    ca: await readFile(f('ca.pem'), 'utf8'),
    ...first,
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    renew: issue,
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
