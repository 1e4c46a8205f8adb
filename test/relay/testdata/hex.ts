/** Loads a captured packet stored as whitespace-separated hex (test/relay/testdata/*.hex). */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function loadHex(name: string): Buffer {
  const text = readFileSync(fileURLToPath(new URL(`./${name}.hex`, import.meta.url)), 'utf8')
  return Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex')
}
