--[[
  The live fleet of a region in one round trip; drops expired relays on the way
  (lazy cleanup, so a SIGKILLed relay leaves nothing behind past its TTL). Drain
  requests are not dropped with them: they outlive the relay until cancelled.

  KEYS[1] live    sorted set relayId -> expiry (ms)
  KEYS[2] relays  hash relayId -> heartbeat JSON
  KEYS[3] drains  hash relayId -> operator drain request JSON
  ARGV[1] now (ms, caller clock)
  returns flat array: relayId, expiresAt, heartbeat JSON, drain request JSON or '', relayId, ...
]]
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #dead > 0 then
  redis.call('ZREM', KEYS[1], unpack(dead))
  redis.call('HDEL', KEYS[2], unpack(dead))
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  local json = redis.call('HGET', KEYS[2], live[i])
  if json then
    out[#out + 1] = live[i]
    out[#out + 1] = live[i + 1]
    out[#out + 1] = json
    out[#out + 1] = redis.call('HGET', KEYS[3], live[i]) or ''
  end
end
return out
