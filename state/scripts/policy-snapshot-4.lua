--[[
  Everything a relay needs to decide about one meeting, read atomically in one round
  trip (read only).

  KEYS[1] meeting    hash: rec, v, status, endedAt
  KEYS[2] endpoints  hash address -> refcount
  KEYS[3] revoked    hash participantId | '*' -> "<at>:<expiresAt>"
  KEYS[4] pver       policy version counter
  returns {} when the meeting does not exist, else
          { rec, v, status, endedAt|false, policyVersion, {addresses...}, {id, value, ...} }
]]
local m = redis.call('HMGET', KEYS[1], 'rec', 'v', 'status', 'endedAt')
if not m[1] then return {} end
return { m[1], m[2], m[3], m[4], redis.call('GET', KEYS[4]) or '0',
         redis.call('HKEYS', KEYS[2]), redis.call('HGETALL', KEYS[3]) }
