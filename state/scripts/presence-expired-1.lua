--[[
  Claim the presence leases that ran out, so one node of the region settles each: their
  score moves to the claim deadline, so if the claiming node dies before it settles
  (and releases) them, another node claims them again once that deadline has passed.

  KEYS[1] presence (sorted set: "<meetingId> <participantId> <session>" -> lease end, ms)
  ARGV[1] now (ms, caller clock): leases ending at or before it ran out
  ARGV[2] claim deadline (ms)
  ARGV[3] most leases to claim in this call
  returns the claimed members (possibly none)
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return due
