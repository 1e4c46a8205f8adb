/**
 * dgram resolves the destination of every `send` through `dns.lookup`, which defers to
 * the next tick even for an IP literal (measured in BENCHMARKS.md: ~7 % of a round trip
 * on Node's floor). Every address the relay sends to or binds on is already a literal —
 * peers come from XOR-PEER-ADDRESS, clients from rinfo, binds from parsed config — so the
 * relay's sockets answer the lookup synchronously. Node 20's dgram calls
 * `lookup(address, family, callback)` with the socket's family as a number.
 */
import { isIP } from 'node:net'
import type dns from 'node:dns'

type Callback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void

export function literalLookup(hostname: string, options: dns.LookupOneOptions | number, callback: Callback): void {
  const family = isIP(hostname)
  if (family === 0) {
    const err: NodeJS.ErrnoException = new Error(`relay sockets take IP literals only, got ${hostname}`)
    err.code = 'EINVAL'
    callback(err, '', 0)
    return
  }
  void options
  callback(null, hostname, family)
}

/** The `lookup` option for dgram.createSocket (its typing names only the options-object form). */
export const literalLookupOption = literalLookup as unknown as NonNullable<import('node:dgram').SocketOptions['lookup']>
