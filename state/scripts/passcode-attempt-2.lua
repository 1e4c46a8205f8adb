--[[
  Take one passcode attempt for an identity of a meeting, counted as a failure of both
  until passcode-succeeded gives it back, unless the identity must back off or the
  identity or the meeting has used up its failures (state/passcode-attempts.ts
  `decidePasscodeAttempt` is the same rule in TypeScript; keep them in step).

  KEYS[1] identity counter  hash: n (failures), last (ms), exp (ms)
  KEYS[2] meeting counter   hash: n, last, exp
  ARGV[1] now (ms)
  ARGV[2] window (ms): a counter is forgotten this long after its last failure
  ARGV[3] failures before backing off
  ARGV[4] backoff (ms) after the first failure past them, doubling per further failure
  ARGV[5] max failures per identity
  ARGV[6] max failures per meeting
  returns {0} taken, {1, retryAfterMs} refused for the identity, {2, retryAfterMs} for the meeting
]]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local function counter(key)
  local v = redis.call('HMGET', key, 'n', 'last', 'exp')
  local exp = tonumber(v[3] or '0')
  if exp <= now then return 0, 0, 0 end
  return tonumber(v[1] or '0'), tonumber(v[2] or '0'), exp
end
local n, last, exp = counter(KEYS[1])
local mn, _, mexp = counter(KEYS[2])
if n >= tonumber(ARGV[5]) then return {1, math.max(1, exp - now)} end
if mn >= tonumber(ARGV[6]) then return {2, math.max(1, mexp - now)} end
local free = tonumber(ARGV[3])
local backoff = tonumber(ARGV[4])
if n > 0 and n >= free and backoff > 0 then
  local wait = math.min(window, backoff * 2 ^ (n - free))
  if now < last + wait then return {1, math.ceil(last + wait - now)} end
end
-- The TTL outlives the window (judged by the caller's clock above): it only cleans up.
redis.call('HSET', KEYS[1], 'n', n + 1, 'last', now, 'exp', now + window)
redis.call('PEXPIRE', KEYS[1], window + 60000)
redis.call('HSET', KEYS[2], 'n', mn + 1, 'last', now, 'exp', now + window)
redis.call('PEXPIRE', KEYS[2], window + 60000)
return {0}
