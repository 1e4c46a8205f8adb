--[[
  Write a participant (mode 'put'), change its status (mode 'status'), or let a present
  participant leave (mode 'leave'), keeping the derived sets in step in the same atomic
  step: the admitted endpoint addresses that relays consult for guarantee 2 (a refcount
  per address, since participants behind one NAT share it), the admitted set (capacity is
  checked against it here, so two joins racing for the last seat cannot both win), the
  present hosts, the banned set, optionally a revocation, and the capped history of
  participants who left (only the newest ARGV[14] stay listed; older ones are deleted
  from the participant hashes, their history stays in the audit stream).

  KEYS[1] meeting   KEYS[2] participants  KEYS[3] pstatus  KEYS[4] banned
  KEYS[5] endpoints KEYS[6] hosts         KEYS[7] revoked  KEYS[8] pver
  KEYS[9] admitted  KEYS[10] departed (sorted set participantId -> left at, ms)
  ARGV[1] mode: put | status | leave ('leave' = status 'left', only from waiting or admitted)
  ARGV[2] participantId
  ARGV[3] participant JSON (put) or '' (status, leave)
  ARGV[4] new status: waiting | admitted | left | removed
  ARGV[5] ban: 1 adds to the banned set when the new status is removed, else 0
  ARGV[6] allowBanned: 1 lets a banned participant wait / be admitted again, else 0
  ARGV[7] revocation value "<at>:<expiresAt>" or '' for none
  ARGV[8] revocation TTL (ms)
  ARGV[9] meetingId
  ARGV[10] revocation channel   ARGV[11] revocation message JSON
  ARGV[12] policy invalidation channel
  ARGV[13] capacity: most admitted participants at once, 0 = unchecked
  ARGV[14] departed kept: how many participants who left stay listed, 0 = all
  ARGV[15] list: 1 appends the admitted participants after the write to the result
  ARGV[16] now (ms, caller clock): when a leaver left
  ARGV[17] session: with 'leave', leave only if the participant JSON's session is this one
           (a newer socket of the participant holds it otherwise), '' = any
  returns { policyVersion, previous status or '', meeting version, [participantId, JSON]... (ARGV[15] = 1) },
          or -1 (NOT_FOUND), -3 (ENDED), -4 (BANNED), -6 (UNKNOWN_PARTICIPANT: also a
          'leave' of a participant that is not waiting or admitted, or held by another session), -7 (FULL)
]]
local m = redis.call('HMGET', KEYS[1], 'status', 'v')
local status = m[1]
if not status then return -1 end
local pid = ARGV[2]
local newStatus = ARGV[4]
local joining = newStatus == 'waiting' or newStatus == 'admitted'
if status == 'ended' and joining then return -3 end

local oldJson = redis.call('HGET', KEYS[2], pid)
local oldStatus = redis.call('HGET', KEYS[3], pid)
local newJson = ARGV[3]
if ARGV[1] ~= 'put' then
  if not oldJson then return -6 end
  if ARGV[1] == 'leave' and oldStatus ~= 'waiting' and oldStatus ~= 'admitted' then return -6 end
  if ARGV[1] == 'leave' and ARGV[17] and ARGV[17] ~= '' then
    local holder = cjson.decode(oldJson).session
    if type(holder) == 'string' and holder ~= ARGV[17] then return -6 end
  end
  newJson = oldJson
end
if joining and ARGV[6] ~= '1' and redis.call('SISMEMBER', KEYS[4], pid) == 1 then return -4 end
local capacity = tonumber(ARGV[13])
if newStatus == 'admitted' and oldStatus ~= 'admitted' and capacity > 0
   and redis.call('SCARD', KEYS[9]) >= capacity then return -7 end

-- Addresses and role are all this needs from the JSON; decode only when they matter.
local old = (oldStatus == 'admitted' and oldJson) and cjson.decode(oldJson) or nil
local new = nil
if newStatus == 'admitted' then new = (newJson == oldJson and old) or cjson.decode(newJson) end

if old and type(old.addresses) == 'table' then
  for _, a in ipairs(old.addresses) do
    if redis.call('HINCRBY', KEYS[5], a, -1) <= 0 then redis.call('HDEL', KEYS[5], a) end
  end
end
if new and type(new.addresses) == 'table' then
  for _, a in ipairs(new.addresses) do redis.call('HINCRBY', KEYS[5], a, 1) end
end

if newStatus == 'admitted' then
  redis.call('SADD', KEYS[9], pid)
else
  redis.call('SREM', KEYS[9], pid)
end
if new and (new.role == 'host' or new.role == 'co-host') then
  redis.call('SADD', KEYS[6], pid)
else
  redis.call('SREM', KEYS[6], pid)
end
if newStatus == 'removed' and ARGV[5] == '1' then redis.call('SADD', KEYS[4], pid) end

if ARGV[1] == 'put' then redis.call('HSET', KEYS[2], pid, newJson) end
redis.call('HSET', KEYS[3], pid, newStatus)

if newStatus == 'left' then
  redis.call('ZADD', KEYS[10], ARGV[16], pid)
  local kept = tonumber(ARGV[14])
  local over = kept > 0 and redis.call('ZCARD', KEYS[10]) - kept or 0
  if over > 0 then
    local oldest = redis.call('ZPOPMIN', KEYS[10], over)
    for i = 1, #oldest, 2 do
      if redis.call('HGET', KEYS[3], oldest[i]) == 'left' then redis.call('HDEL', KEYS[2], oldest[i]); redis.call('HDEL', KEYS[3], oldest[i]) end
    end
  end
  -- An ended meeting on a retention TTL: the history goes when the rest of it goes.
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[10], ttl) end
elseif oldStatus == 'left' then
  redis.call('ZREM', KEYS[10], pid)
end

if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[7], pid, ARGV[7])
  local ttl = tonumber(ARGV[8])
  if redis.call('PTTL', KEYS[7]) < ttl then redis.call('PEXPIRE', KEYS[7], ttl) end
end
local pv = redis.call('INCR', KEYS[8])
if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[10], ARGV[11]) end
redis.call('PUBLISH', ARGV[12], '{"meetingId":"' .. ARGV[9] .. '","version":' .. pv .. '}')

local out = { pv, oldStatus or '', tonumber(m[2]) }
if ARGV[15] == '1' then
  local ids = redis.call('SMEMBERS', KEYS[9])
  for i = 1, #ids, 500 do
    local chunk = { unpack(ids, i, math.min(i + 499, #ids)) }
    local jsons = redis.call('HMGET', KEYS[2], unpack(chunk))
    for j = 1, #chunk do
      if jsons[j] then out[#out + 1] = chunk[j]; out[#out + 1] = jsons[j] end
    end
  end
end
return out
