/**
 * The relay's TLS certificate and key, read from PEM files: at start, and again on SIGHUP
 * so a renewed certificate (certbot, cert-manager) needs no restart. A file that cannot be
 * read is a coded error naming it; a key that does not match its certificate is refused
 * where the pair is applied (tls.createSecureContext).
 */
import { readFile } from 'node:fs/promises'

import { RelayError } from '../errors.js'

export interface TlsFiles {
  readonly cert: string
  readonly key: string
}

export async function readTlsFiles(files: TlsFiles): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (what: string, file: string): Promise<Buffer> => readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new RelayError('ERR_TLS_FILE', `cannot read the TLS ${what} ${file}: ${err.code ?? err.message}`, { cause: err })
  })
  const [cert, key] = await Promise.all([read('certificate', files.cert), read('key', files.key)])
  return { cert, key }
}

/**
 * A renewal: re-reads the files and hands the pair to `apply` (RelayNode.setTlsCertificate).
 * Resolves true once new connections get it; false, with the reason logged, when either
 * file is unreadable or the pair unusable — the running certificate then stays.
 */
export async function renewTlsCertificate(files: TlsFiles, apply: (cert: Buffer, key: Buffer) => void, log: (message: string) => void): Promise<boolean> {
  try {
    const { cert, key } = await readTlsFiles(files)
    apply(cert, key)
    log(`TLS certificate re-read from ${files.cert}; new connections get it`)
    return true
  } catch (err) {
    log(`TLS certificate refused, the running one stays: ${(err as Error).message}`)
    return false
  }
}
