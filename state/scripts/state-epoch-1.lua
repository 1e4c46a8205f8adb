--[[
  The region's state epoch: read it, or write the candidate when there is none. A
  Redis that comes back without its data (restarted without persistence, failed over
  to an empty replica) has no epoch; the first process to ask writes a new one, and
  every process that remembers another epoch learns the state was lost
  (state/state-epoch.ts).

  KEYS[1] epoch    string, no TTL
  ARGV[1] candidate epoch (random, fresh per call)
  returns { epoch, created } where created is 1 when ARGV[1] was written just now
]]
local current = redis.call('GET', KEYS[1])
if current then return { current, 0 } end
redis.call('SET', KEYS[1], ARGV[1])
return { ARGV[1], 1 }
