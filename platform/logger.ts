/**
 * The one logger factory of every sovereign process (relay, control plane, `start`): pino,
 * JSON lines on stdout by default — what log shippers and `kubectl logs | jq` expect — and
 * readable (pino-pretty, synchronous, in this thread) when stdout is a terminal. Secrets are
 * redacted by key wherever they appear in a record's fields, so a config or a request object
 * logged whole cannot leak a relay secret, an API key, a token or a passcode.
 */
import { Option } from 'commander'
import { pino, type DestinationStream, type Logger } from 'pino'
import { PinoPretty } from 'pino-pretty'

export type { Logger } from 'pino'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Field names whose values never reach a log line, at the top level and one level down. */
export const REDACTED_KEYS = [
  'secret', 'secrets', 'relaySecrets', 'password', 'credential', 'passcode', 'token', 'accessToken',
  'apiKey', 'apiKeys', 'adminKey', 'key', 'privateKey', 'privateKeyPem', 'kek', 'authorization', 'cookie',
] as const

export const REDACT_PATHS: readonly string[] = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]',
]

export interface LoggerOptions {
  /** The process's role, the `name` field of every record (relay, control-plane, start). */
  readonly name: string
  readonly level?: LogLevel
  /** Human-readable lines instead of JSON; default: whether stdout is a terminal. */
  readonly pretty?: boolean
  /** Where records go (tests); default stdout. */
  readonly destination?: DestinationStream
  /** Fields on every record, e.g. { region, relayId }. */
  readonly base?: Record<string, unknown>
}

export function createLogger(o: LoggerOptions): Logger {
  const pretty = o.pretty ?? process.stdout.isTTY === true
  // Synchronous either way: a record written before a crash or process.exit() is not lost.
  const destination = pretty
    ? PinoPretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: o.destination ?? 1 })
    : o.destination ?? pino.destination({ fd: 1, sync: true })
  return pino({
    name: o.name,
    level: o.level ?? 'info',
    base: { pid: process.pid, ...o.base },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  }, destination)
}

/** `--log-level`, the same on every long-running command; an unknown level is refused by commander with the allowed list. */
export function logLevelOption(defaultLevel: LogLevel | undefined = 'info', description = 'log records at this level and above'): Option {
  const option = new Option('--log-level <level>', description).choices(LOG_LEVELS)
  return defaultLevel === undefined ? option : option.default(defaultLevel)
}
