--[[
  Revoke one participant ('<id>') or a whole meeting ('*'): store it for as long as
  the longest credential lives (a relay that missed the message still refuses) and
  publish it on the region's revocation channel in the same step.

  KEYS[1] revoked  hash participantId | '*' -> "<at>:<expiresAt>"
  KEYS[2] pver     policy version counter
  ARGV[1] participantId or '*'
  ARGV[2] "<at>:<expiresAt>"
  ARGV[3] TTL (ms)
  ARGV[4] revocation channel
  ARGV[5] revocation message JSON
  returns the new policy version
]]
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
local pv = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return pv
