/**
 * Reads another Node process's heap through the V8 inspector it was started with
 * (`--inspect=127.0.0.1:PORT`): force a full GC (HeapProfiler.collectGarbage), then
 * evaluate process.memoryUsage() inside it. This needs nothing from the process under
 * test, so the relay's heap per allocation is measured without any hook in relay code.
 */
import net from 'node:net'
import WebSocket from 'ws'

export interface MemoryUsage {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export class HeapProbe {
  readonly #ws: WebSocket
  #nextId = 1
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  private constructor(ws: WebSocket) {
    this.#ws = ws
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
      if (msg.id === undefined) return // an event; none are subscribed to
      const w = this.#waiting.get(msg.id)
      if (!w) return
      this.#waiting.delete(msg.id)
      if (msg.error) w.reject(new Error(`inspector: ${msg.error.message}`))
      else w.resolve(msg.result)
    })
    ws.on('close', () => {
      for (const w of this.#waiting.values()) w.reject(new Error('inspector connection closed'))
      this.#waiting.clear()
    })
  }

  /** Connects to the inspector at host:port, retrying until `timeoutMs` (it starts with the process). */
  static async connect(host: string, port: number, timeoutMs = 10_000): Promise<HeapProbe> {
    const deadline = Date.now() + timeoutMs
    let lastError: unknown
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://${host}:${port}/json/list`)
        const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[]
        const url = targets[0]?.webSocketDebuggerUrl
        if (!url) throw new Error('no inspector target')
        const ws = new WebSocket(url)
        await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
        return new HeapProbe(ws)
      } catch (err) {
        lastError = err
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    throw new Error(`no inspector at ${host}:${port}: ${(lastError as Error | undefined)?.message ?? 'timeout'}`)
  }

  /**
   * A full heap snapshot of the inspected process, summed by constructor/type name:
   * how many objects and how many self bytes each name holds. Diffing two of these shows
   * where the bytes of N allocations went.
   */
  async heapByConstructor(): Promise<Map<string, { count: number; bytes: number }>> {
    const chunks: string[] = []
    const onChunk = (data: WebSocket.RawData): void => {
      const msg = JSON.parse(String(data)) as { method?: string; params?: { chunk: string } }
      if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(msg.params!.chunk)
    }
    this.#ws.on('message', onChunk)
    try {
      await this.#call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
    } finally {
      this.#ws.off('message', onChunk)
    }
    const snap = JSON.parse(chunks.join('')) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
      nodes: number[]
      strings: string[]
    }
    const fields = snap.snapshot.meta.node_fields
    const stride = fields.length
    const iType = fields.indexOf('type')
    const iName = fields.indexOf('name')
    const iSize = fields.indexOf('self_size')
    const types = snap.snapshot.meta.node_types[0]
    const out = new Map<string, { count: number; bytes: number }>()
    for (let i = 0; i < snap.nodes.length; i += stride) {
      const type = types[snap.nodes[i + iType]!]!
      const name = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + iName]!]! : `(${type})`
      const e = out.get(name) ?? { count: 0, bytes: 0 }
      e.count++
      e.bytes += snap.nodes[i + iSize]!
      out.set(name, e)
    }
    return out
  }

  #call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      this.#ws.send(JSON.stringify({ id, method, params }))
    })
  }

  /** process.memoryUsage() of the inspected process after `gcRounds` full collections. */
  async memoryAfterGc(gcRounds = 3): Promise<MemoryUsage> {
    for (let i = 0; i < gcRounds; i++) await this.#call('HeapProfiler.collectGarbage')
    const result = (await this.#call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } }
    return JSON.parse(result.result.value) as MemoryUsage
  }

  close(): void {
    this.#ws.close()
  }
}
