--[[
  Store the meeting's next media key (managed key mode), sealed by the control plane
  before it gets here, if the caller saw the current epoch (two nodes rotating at once
  cannot both win, so every participant gets the same key).

  KEYS[1] mediakey  hash: epoch, sealed, createdAt
  KEYS[2] meeting   hash: rec, v, status, endedAt
  ARGV[1] expected current epoch (0: no key yet)
  ARGV[2] sealed key (opaque text)
  ARGV[3] createdAt (ms)
  returns the new epoch, or -1 (NOT_FOUND: no meeting), -3 (ENDED), -2 (VERSION_CONFLICT)
]]
local status = redis.call('HGET', KEYS[2], 'status')
if not status then return -1 end
if status == 'ended' then return -3 end
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if epoch ~= tonumber(ARGV[1]) then return -2 end
redis.call('HSET', KEYS[1], 'epoch', epoch + 1, 'sealed', ARGV[2], 'createdAt', ARGV[3])
return epoch + 1
