--[[
  What admitting one participant depends on, read atomically in one round trip (read
  only): the meeting record, the participant's own previous entry, and how many are
  admitted and how many of them host. The participant list itself is not read here: a
  join gets it from participant-set (mode put, ARGV[15] = 1) after its own write.

  KEYS[1] meeting       hash: rec, v, status, endedAt
  KEYS[2] participants  hash participantId -> JSON
  KEYS[3] pstatus       hash participantId -> status
  KEYS[4] admitted      set of admitted participant ids
  KEYS[5] hosts         set of admitted host / co-host ids
  ARGV[1] participantId
  returns {} when the meeting does not exist, else
          { rec, v, status, endedAt|false, own JSON|false, own status|false, admitted count, host count }
]]
local m = redis.call('HMGET', KEYS[1], 'rec', 'v', 'status', 'endedAt')
if not m[1] then return {} end
return { m[1], m[2], m[3], m[4], redis.call('HGET', KEYS[2], ARGV[1]), redis.call('HGET', KEYS[3], ARGV[1]),
         redis.call('SCARD', KEYS[4]), redis.call('SCARD', KEYS[5]) }
