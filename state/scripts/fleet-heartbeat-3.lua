--[[
  Register a relay or refresh its heartbeat (the same call: a relay that lost its
  registration in a Redis restart is back on its next beat), and answer with the
  operator's drain request for it, so the relay notices a drain within one beat.
  The request lives in its own hash: the relay's beat never overwrites it.

  KEYS[1] live    sorted set relayId -> expiry (ms)
  KEYS[2] relays  hash relayId -> heartbeat JSON
  KEYS[3] drains  hash relayId -> operator drain request JSON (no TTL)
  ARGV[1] relayId
  ARGV[2] expiresAt (ms, caller clock)
  ARGV[3] heartbeat JSON
  returns the drain request JSON for relayId, or nil when none is in force
]]
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return redis.call('HGET', KEYS[3], ARGV[1])
