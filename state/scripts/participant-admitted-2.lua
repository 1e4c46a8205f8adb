--[[
  The admitted participants of a meeting, without reading everyone who ever joined
  (read only).

  KEYS[1] participants  hash participantId -> JSON
  KEYS[2] admitted      set of admitted participant ids
  returns flat array: participantId, JSON, participantId, JSON, ...
]]
local ids = redis.call('SMEMBERS', KEYS[2])
local out = {}
for i = 1, #ids, 500 do
  local chunk = { unpack(ids, i, math.min(i + 499, #ids)) }
  local jsons = redis.call('HMGET', KEYS[1], unpack(chunk))
  for j = 1, #chunk do
    if jsons[j] then out[#out + 1] = chunk[j]; out[#out + 1] = jsons[j] end
  end
end
return out
