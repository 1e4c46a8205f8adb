/**
 * YAML text → plain data, plus a way back from a field path to a line and column so
 * every later error can point into the file. Syntax errors are reported with their
 * position; duplicate keys are syntax errors (the `yaml` package refuses them).
 */
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'

import { ConfigError, type ConfigIssue } from './config-error.js'
import type { FieldPath } from './field-path.js'

export interface Position {
  readonly line: number
  readonly column: number
}

export interface YamlSource {
  readonly data: unknown
  /**
   * Position of the node at `path`, or of its nearest ancestor that exists. With `key`,
   * the position of the last segment's key rather than its value (for unknown keys).
   */
  locate(path: FieldPath, key?: boolean): Position | undefined
}

export function parseYaml(text: string, source: string): YamlSource {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false })
  if (document.errors.length > 0) {
    const issues: ConfigIssue[] = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0])
      const message = error.code === 'MULTIPLE_DOCS'
        ? 'a network config is one YAML document; remove the extra "---"'
        : (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '')
      return { path: '', rule: 'yaml', message, line, column: col }
    })
    throw new ConfigError('CONFIG_SYNTAX', source, issues)
  }
  // Aliases are expanded by toJS; a bounded count stops a billion-laughs document.
  let data: unknown
  try {
    data = document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new ConfigError('CONFIG_SYNTAX', source, [{ path: '', rule: 'yaml', message }])
  }

  const position = (node: Node | undefined): Position | undefined => {
    const offset = node?.range?.[0]
    if (offset === undefined) return undefined
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }

  return {
    data,
    locate(path, key = false) {
      let node: unknown = document.contents
      let found: Position | undefined = position(isNode(node) ? node : undefined)
      for (const [index, segment] of path.entries()) {
        if (isMap(node)) {
          const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === segment)
          if (pair === undefined) break
          // Point at the key for mappings and sequences (the value starts on the next line).
          const valueNode = pair.value
          const keyPosition = position(isNode(pair.key) ? pair.key : undefined)
          const wantKey = key && index === path.length - 1
          found = (isScalar(valueNode) && !wantKey ? position(valueNode) : keyPosition) ?? found
          node = valueNode
        } else if (isSeq(node) && typeof segment === 'number') {
          const item = node.items[segment]
          if (item === undefined) break
          found = position(isNode(item) ? item : undefined) ?? found
          node = item
        } else {
          break
        }
      }
      return found
    },
  }
}
