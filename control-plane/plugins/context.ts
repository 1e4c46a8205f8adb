/**
 * What every plugin of one control-plane app shares, decorated on the instance as
 * `app.sovereign`, and the fastify type augmentations the plugins rely on.
 */
import type { Registry } from 'prom-client'

import type { NetworkConfig, Region } from '../../config/network-config.js'
import type { LiveRelay } from '../../state/fleet.js'
import type { RegionState } from '../../state/region-state.js'
import type { MediaKeyService } from '../services/media-keys.js'
import type { MeetingService } from '../services/meeting-service.js'
import type { Principal } from './auth.js'
import type { ControlPlaneMetrics } from './metrics.js'
import type { ReportSigner } from './report-signer.js'

export interface ControlPlaneContext {
  readonly region: string
  readonly nodeId: string
  /** The running config (changes on SIGHUP reload). */
  config(): NetworkConfig
  /** This node's region in the running config. */
  home(): Region
  readonly state: RegionState
  readonly meetings: MeetingService
  /** Managed key mode: deliver and rotate the meeting media key (signaling calls it). */
  readonly keys: MediaKeyService
  readonly registry: Registry
  readonly metrics: ControlPlaneMetrics
  readonly reports: ReportSigner
  /** Live relays of any region of the config (admin fleet view). */
  liveRelays(region: string): Promise<readonly LiveRelay[]>
  readonly now: () => number
}

/** Who may call a route: checked by the auth plugin from `config.auth` before the body is read. */
export type RouteAuth = 'none' | 'tenant' | 'admin'

declare module 'fastify' {
  interface FastifyInstance {
    sovereign: ControlPlaneContext
  }
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyContextConfig {
    auth?: RouteAuth
  }
}
