/**
 * Just enough SDP (RFC 8866) to see what a participant is about to send: one entry per
 * media section with its kind, whether it sends, RFC 4796 `a=content`, and msid
 * (RFC 8830) ids. Not a general SDP parser; it never throws on odd input, it just sees less.
 */
export interface MediaSection {
  readonly media: string
  /** Port 0 means the section is rejected/disabled (RFC 8866 §5.14). */
  readonly disabled: boolean
  readonly sends: boolean
  readonly content: readonly string[]
  readonly msid: readonly string[]
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive'])

export function mediaSections(sdp: string): MediaSection[] {
  const sections: Array<{ media: string; disabled: boolean; direction?: string; content: string[]; msid: string[] }> = []
  let sessionDirection = 'sendrecv'
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim()
    const current = sections[sections.length - 1]
    if (line.startsWith('m=')) {
      const [media = '', port = ''] = line.slice(2).split(/\s+/)
      sections.push({ media, disabled: port === '0', content: [], msid: [] })
    } else if (line.startsWith('a=')) {
      const attr = line.slice(2)
      const colon = attr.indexOf(':')
      const name = colon === -1 ? attr : attr.slice(0, colon)
      const value = colon === -1 ? '' : attr.slice(colon + 1)
      if (DIRECTIONS.has(name)) {
        if (current) current.direction = name
        else sessionDirection = name
      } else if (current && name === 'content') current.content.push(...value.split(',').map((v) => v.trim().toLowerCase()))
      else if (current && name === 'msid') current.msid.push(...value.split(/\s+/).filter(Boolean))
    }
  }
  return sections.map((s) => {
    const direction = s.direction ?? sessionDirection
    return {
      media: s.media,
      disabled: s.disabled,
      sends: !s.disabled && (direction === 'sendrecv' || direction === 'sendonly'),
      content: s.content,
      msid: s.msid,
    }
  })
}
