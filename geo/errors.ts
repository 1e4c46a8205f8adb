/**
 * Errors geo/ throws, each with a stable `code` so the CLI, the control plane and tests
 * can tell them apart without reading messages. Lookups themselves never throw: an address
 * geo cannot place is an answer ("unknown"), not an error.
 */
import { CodedError } from './coded-error.js'

export type GeoErrorCode =
  /** The MMDB file could not be read or is not a usable MaxMind database. */
  | 'GEO_DATABASE_INVALID'
  /** An override's CIDR does not parse or has host bits set. */
  | 'GEO_CIDR_INVALID'
  /** The same CIDR is overridden twice. */
  | 'GEO_CIDR_DUPLICATE'
  /** A country code that is not an ISO 3166-1 alpha-2 code. */
  | 'GEO_COUNTRY_UNKNOWN'
  /** An operator jurisdiction reuses a built-in id (EU, EEA) or a country code, or repeats an id. */
  | 'GEO_JURISDICTION_RESERVED'
  /** A region id appears twice. */
  | 'GEO_REGION_DUPLICATE'

export class GeoError extends CodedError<GeoErrorCode> {}
