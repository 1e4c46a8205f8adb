--[[
  Replace a meeting's record if the caller saw the current version (optimistic
  concurrency: the control plane reads, decides, and writes back with the version).

  KEYS[1] meeting  hash: rec, v, status, endedAt
  KEYS[2] pver     policy version counter
  ARGV[1] expected version
  ARGV[2] record JSON
  ARGV[3] status (active | locked)
  ARGV[4] meetingId
  ARGV[5] policy invalidation channel
  returns the new version, or -1 (NOT_FOUND), -3 (ENDED), -2 (VERSION_CONFLICT)
]]
local cur = redis.call('HMGET', KEYS[1], 'v', 'status')
if not cur[1] then return -1 end
if cur[2] == 'ended' then return -3 end
if tonumber(cur[1]) ~= tonumber(ARGV[1]) then return -2 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'status', ARGV[3])
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
local pv = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[5], '{"meetingId":"' .. ARGV[4] .. '","version":' .. pv .. '}')
return v
