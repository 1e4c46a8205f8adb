--[[
  Register a relay or refresh its heartbeat (the same call: a relay that lost its
  registration in a Redis restart is back on its next beat).

  KEYS[1] live    sorted set relayId -> expiry (ms)
  KEYS[2] relays  hash relayId -> heartbeat JSON
  ARGV[1] relayId
  ARGV[2] expiresAt (ms, caller clock)
  ARGV[3] heartbeat JSON
  returns 1
]]
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
