--[[
  End a meeting for everyone: mark it ended, revoke every credential of it ('*') for
  as long as the longest credential lives, publish the revocation and the policy
  invalidation, destroy the media key, and optionally put every key of the meeting on
  a retention TTL.

  KEYS[1] meeting       KEYS[2] participants  KEYS[3] pstatus
  KEYS[4] banned        KEYS[5] endpoints     KEYS[6] hosts
  KEYS[7] revoked       KEYS[8] pver          KEYS[9] audit
  KEYS[10] admitted     KEYS[11] mediakey
  ARGV[1] endedAt (ms)
  ARGV[2] revocation value "<at>:<expiresAt>"
  ARGV[3] revocation TTL (ms)
  ARGV[4] retention (ms, 0 = keep)
  ARGV[5] meetingId
  ARGV[6] revocation channel     ARGV[7] revocation message JSON
  ARGV[8] policy invalidation channel
  returns the new record version, or -1 (NOT_FOUND), -3 (ENDED: already ended)
]]
local cur = redis.call('HMGET', KEYS[1], 'v', 'status')
if not cur[1] then return -1 end
if cur[2] == 'ended' then return -3 end
redis.call('HSET', KEYS[1], 'status', 'ended', 'endedAt', ARGV[1])
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('DEL', KEYS[6], KEYS[11])
redis.call('HSET', KEYS[7], '*', ARGV[2])
local ttl = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
if redis.call('PTTL', KEYS[7]) < math.max(ttl, retention) then
  redis.call('PEXPIRE', KEYS[7], math.max(ttl, retention))
end
local pv = redis.call('INCR', KEYS[8])
if retention > 0 then
  for i = 1, 10 do
    if i ~= 7 then redis.call('PEXPIRE', KEYS[i], retention) end
  end
end
redis.call('PUBLISH', ARGV[6], ARGV[7])
redis.call('PUBLISH', ARGV[8], '{"meetingId":"' .. ARGV[5] .. '","version":' .. pv .. '}')
return v
