--[[
  A passcode attempt was right: forget the identity's failures and give the attempt
  back to the meeting's count (passcode-attempt counted it as a failure up front).

  KEYS[1] identity counter  hash: n, last, exp
  KEYS[2] meeting counter   hash: n, last, exp
  returns the meeting's remaining failures
]]
redis.call('DEL', KEYS[1])
local n = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
if n > 0 then
  n = n - 1
  redis.call('HSET', KEYS[2], 'n', n)
end
return n
