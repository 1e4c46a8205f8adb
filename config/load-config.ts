/**
 * Loads the network config: YAML → schema (defaults, strict keys) → secret references →
 * cross-field rules → a deeply frozen NetworkConfig with lookups. Any problem throws one
 * ConfigError listing every issue found, each with its field path and line.
 *
 * Schema problems are reported on their own: the later stages read the document through
 * its types, so they run only on a document the schema accepts. Secret references and
 * cross-field rules are reported together.
 */
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'

import { checkSchema, type RawIssue } from './check-schema.js'
import { ConfigError, type ConfigErrorCode, type ConfigIssue } from './config-error.js'
import { formatPath } from './field-path.js'
import { finishConfig, type NetworkConfig, type NetworkConfigData } from './network-config.js'
import { checkRules } from './rules/index.js'
import { resolveSecrets, type Environment, type MissingEnvMode } from './secrets.js'
import { parseYaml, type YamlSource } from './yaml-source.js'

export interface LoadOptions {
  /** Where `{env: NAME}` references are looked up; defaults to process.env. */
  readonly env?: Environment
  /** See MissingEnvMode: 'placeholder' is for validation tools only. */
  readonly missingEnv?: MissingEnvMode
}

export interface ConfigText {
  readonly text: string
  /** Label used in errors and as `config.source`; also the base for relative paths when it is a file path. */
  readonly source?: string
}

/** Reads and validates a config file, or validates text given directly. */
export async function loadConfig(input: string | ConfigText, options: LoadOptions = {}): Promise<NetworkConfig> {
  if (typeof input !== 'string') return parseConfig(input, options)
  return parseConfig({ text: await readConfigText(input), source: input }, options)
}

/** The file's text, or a CONFIG_UNREADABLE ConfigError. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error)
    throw new ConfigError('CONFIG_UNREADABLE', path, [{ path: '', rule: 'io', message: `cannot read the file (${reason})` }])
  }
}

/** Synchronous core of loadConfig for text already in memory. */
export function parseConfig({ text, source = '<config>' }: ConfigText, options: LoadOptions = {}): NetworkConfig {
  const yaml = parseYaml(text, source)
  const fail = (code: ConfigErrorCode, issues: readonly RawIssue[]): never => {
    throw new ConfigError(code, source, issues.map((issue) => locate(issue, yaml)))
  }

  const schema = checkSchema(yaml.data)
  if (schema.issues.length > 0) fail('CONFIG_INVALID', schema.issues)

  const secrets = resolveSecrets(schema.value, options.env ?? process.env, options.missingEnv)
  const data = secrets.value as NetworkConfigData
  const issues = [...secrets.issues, ...checkRules({ config: data, fromEnv: secrets.fromEnv, unresolved: secrets.unresolved })]
  if (issues.length > 0) fail('CONFIG_INVALID', issues)

  return finishConfig(withResolvedPaths(data, source), source, [...new Set(secrets.unresolved.values())])
}

function locate(issue: RawIssue, yaml: YamlSource): ConfigIssue {
  const position = yaml.locate(issue.path, issue.rule === 'unknown_key')
  const base = { path: formatPath(issue.path), rule: issue.rule, message: issue.message }
  return position === undefined ? base : { ...base, line: position.line, column: position.column }
}

/** A relative geo database path is relative to the config file, not to the working directory. */
function withResolvedPaths(data: NetworkConfigData, source: string): NetworkConfigData {
  const database = data.geo.database
  if (database === undefined || isAbsolute(database) || source.startsWith('<')) return data
  return { ...data, geo: { ...data.geo, database: resolve(dirname(source), database) } }
}
