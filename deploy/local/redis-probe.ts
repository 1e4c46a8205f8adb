/** Does a Redis answer PING at `url` within `timeoutMs`? Never throws, never retries. */
import { Redis } from 'ioredis'

export async function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  client.on('error', () => { /* the answer is the boolean below */ })
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/** Deletes every key under `prefix:` (a run's own keys; never FLUSHALL). */
export async function deletePrefixed(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  client.on('error', () => {})
  let deleted = 0
  try {
    await client.connect()
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) deleted += await client.del(...keys)
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
  return deleted
}

/** Does any key live under `prefix:`? (A run that deletes its prefix at exit must not adopt someone else's keys.) */
export async function hasPrefixed(url: string, prefix: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      if (keys.length > 0) return true
      cursor = next
    } while (cursor !== '0')
    return false
  } finally {
    client.disconnect()
  }
}
