/**
 * `GET /examples/call`: the example call page (../examples/call-page.ts), its script and
 * the published SDK bundle, under a strict CSP. Public (no API key): the page holds no
 * data; a participant token in its URL fragment is what admits a tab, as for any client.
 * The bundle is the file `sovereign-relay/client/browser` names (dist/client, built by
 * `npm run build`); where it was not built the page says so with a 503.
 */
import { readFile } from 'node:fs/promises'

import type { FastifyPluginAsync } from 'fastify'

import { CLIENT_BUNDLE } from '../client-bundle.js'
import { CALL_HEADERS, CALL_HTML, CALL_JS, CALL_PATH, CALL_SCRIPT_PATH, CALL_SDK_PATH } from '../examples/call-page.js'

export interface ExampleCallOptions {
  /** The SDK bundle file; default: what `sovereign-relay/client/browser` resolves to. */
  readonly bundlePath?: string
}

const examplePlugin: FastifyPluginAsync<ExampleCallOptions> = async (app, options) => {
  const bundlePath = options.bundlePath ?? CLIENT_BUNDLE
  const route = { schema: { hide: true }, config: { auth: 'none' } } as const
  app.get(CALL_PATH, route, async (_request, reply) => reply.headers(CALL_HEADERS).type('text/html; charset=utf-8').send(CALL_HTML))
  app.get(CALL_SCRIPT_PATH, route, async (_request, reply) => reply.headers(CALL_HEADERS).type('text/javascript; charset=utf-8').send(CALL_JS))
  app.get(CALL_SDK_PATH, route, async (_request, reply) => {
    // Read per request: a rebuilt bundle is served without a restart, and the page is an example, not a hot path.
    const bundle = await readFile(bundlePath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    if (bundle === undefined) {
      return reply.code(503).headers(CALL_HEADERS).type('text/plain; charset=utf-8').send('the client SDK bundle is not built: run `npm run build`')
    }
    return reply.headers(CALL_HEADERS).type('text/javascript; charset=utf-8').send(bundle)
  })
}

export default examplePlugin
