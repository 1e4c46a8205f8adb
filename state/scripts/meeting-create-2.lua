--[[
  Create a meeting record at version 1.

  KEYS[1] meeting  hash: rec, v, status, endedAt
  KEYS[2] pver     policy version counter
  ARGV[1] record JSON (never decoded here: cjson would turn [] into {})
  ARGV[2] status (active | locked)
  returns 1, or -5 (EXISTS)
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return -5 end
redis.call('HSET', KEYS[1], 'rec', ARGV[1], 'v', 1, 'status', ARGV[2])
redis.call('INCR', KEYS[2])
return 1
