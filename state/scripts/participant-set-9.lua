--[[
  Write a participant (mode 'put') or change its status (mode 'status'), keeping the
  derived sets in step in the same atomic step: the admitted endpoint addresses that
  relays consult for guarantee 2 (a refcount per address, since participants behind
  one NAT share it), the admitted set (capacity is checked against it here, so two
  joins racing for the last seat cannot both win), the present hosts, the banned set,
  and optionally a revocation.

  KEYS[1] meeting   KEYS[2] participants  KEYS[3] pstatus  KEYS[4] banned
  KEYS[5] endpoints KEYS[6] hosts         KEYS[7] revoked  KEYS[8] pver
  KEYS[9] admitted
  ARGV[1] mode: put | status
  ARGV[2] participantId
  ARGV[3] participant JSON (put) or '' (status)
  ARGV[4] new status: waiting | admitted | left | removed
  ARGV[5] ban: 1 adds to the banned set when the new status is removed, else 0
  ARGV[6] allowBanned: 1 lets a banned participant wait / be admitted again, else 0
  ARGV[7] revocation value "<at>:<expiresAt>" or '' for none
  ARGV[8] revocation TTL (ms)
  ARGV[9] meetingId
  ARGV[10] revocation channel   ARGV[11] revocation message JSON
  ARGV[12] policy invalidation channel
  ARGV[13] capacity: most admitted participants at once, 0 = unchecked
  returns the new policy version, or -1 (NOT_FOUND), -3 (ENDED), -4 (BANNED),
  -6 (UNKNOWN_PARTICIPANT), -7 (FULL)
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
local pid = ARGV[2]
local newStatus = ARGV[4]
local joining = newStatus == 'waiting' or newStatus == 'admitted'
if status == 'ended' and joining then return -3 end

local oldJson = redis.call('HGET', KEYS[2], pid)
local oldStatus = redis.call('HGET', KEYS[3], pid)
local newJson = ARGV[3]
if ARGV[1] == 'status' then
  if not oldJson then return -6 end
  newJson = oldJson
end
if joining and ARGV[6] ~= '1' and redis.call('SISMEMBER', KEYS[4], pid) == 1 then return -4 end
local capacity = tonumber(ARGV[13])
if newStatus == 'admitted' and oldStatus ~= 'admitted' and capacity > 0
   and redis.call('SCARD', KEYS[9]) >= capacity then return -7 end

local old = oldJson and cjson.decode(oldJson) or nil
local new = cjson.decode(newJson)

if oldStatus == 'admitted' and old and type(old.addresses) == 'table' then
  for _, a in ipairs(old.addresses) do
    if redis.call('HINCRBY', KEYS[5], a, -1) <= 0 then redis.call('HDEL', KEYS[5], a) end
  end
end
if newStatus == 'admitted' and type(new.addresses) == 'table' then
  for _, a in ipairs(new.addresses) do redis.call('HINCRBY', KEYS[5], a, 1) end
end

if newStatus == 'admitted' then
  redis.call('SADD', KEYS[9], pid)
else
  redis.call('SREM', KEYS[9], pid)
end
if newStatus == 'admitted' and (new.role == 'host' or new.role == 'co-host') then
  redis.call('SADD', KEYS[6], pid)
else
  redis.call('SREM', KEYS[6], pid)
end
if newStatus == 'removed' and ARGV[5] == '1' then redis.call('SADD', KEYS[4], pid) end

if ARGV[1] == 'put' then redis.call('HSET', KEYS[2], pid, newJson) end
redis.call('HSET', KEYS[3], pid, newStatus)

if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[7], pid, ARGV[7])
  local ttl = tonumber(ARGV[8])
  if redis.call('PTTL', KEYS[7]) < ttl then redis.call('PEXPIRE', KEYS[7], ttl) end
end
local pv = redis.call('INCR', KEYS[8])
if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[10], ARGV[11]) end
redis.call('PUBLISH', ARGV[12], '{"meetingId":"' .. ARGV[9] .. '","version":' .. pv .. '}')
return pv
