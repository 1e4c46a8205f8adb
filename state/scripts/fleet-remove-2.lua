--[[
  Deregister a relay (clean shutdown).

  KEYS[1] live    sorted set relayId -> expiry (ms)
  KEYS[2] relays  hash relayId -> heartbeat JSON
  ARGV[1] relayId
  returns 1 when it was registered, 0 otherwise
]]
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return removed
