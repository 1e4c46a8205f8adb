--[[
  Replace a participant's JSON if it is still what the caller read (compare and set):
  how host grants and revokes of capabilities are stored with the participant, so a
  reconnect keeps them. The caller edits the JSON (this script never re-encodes it:
  cjson would turn [] into {}) and retries on a conflict.

  KEYS[1] meeting       hash: rec, v, status, endedAt
  KEYS[2] participants  hash participantId -> JSON
  KEYS[3] pstatus       hash participantId -> status
  ARGV[1] participantId
  ARGV[2] the JSON the caller read
  ARGV[3] the new JSON
  returns 1, or -1 (NOT_FOUND), -3 (ENDED), -6 (UNKNOWN_PARTICIPANT: none, or removed),
          -2 (VERSION_CONFLICT: the JSON changed meanwhile)
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
if status == 'ended' then return -3 end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current or redis.call('HGET', KEYS[3], ARGV[1]) == 'removed' then return -6 end
if current ~= ARGV[2] then return -2 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
