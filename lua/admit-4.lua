--[[
admit: decides a batch of issue requests for one coupon (those of one event-loop turn),
in order and in one atomic step: each user is admitted or told why not. One call per batch
instead of per request saves Redis and the service a command each (docs/TUNING.md).

The call carries a deadline on Redis's own clock: a call that runs after it (it sat in a
socket while Redis was stalled and its caller gave up) admits nobody and writes nothing, so
a caller that got no answer can learn for sure what its call did (lua/call-outcome-1.lua).
The sale window is judged by Redis's clock too, the same for every front door.

A call that admits anyone leaves a hand-off marker: the users and tickets it admitted, until
the caller has handed them to the queue and deletes it. A marker left behind (a crash, a
lost answer) is how the reconciler finds admissions that were never handed off.

The caller sends the highest ticket it has handed off for the coupon: a gate whose ticket
sequence is behind it lost admissions (a failover to a replica that lagged, a restart from an
older snapshot). Admitting on it would sell their stock a second time, so it admits nobody
(BEHIND) and the caller rebuilds the gate from MySQL first.

With QUEUE=redis each admitted request is also pushed onto the reliable list queue (KEYS[4])
in the same step, so admission and hand-off can never be split.

KEYS[1]  {coupon:<id>}:meta     hash: total, admitted, seq, startsAt, expiresAt (epoch ms, 0 = none),
                                n:<code>, how many requests got each answer (for the dashboard), and
                                rebuilding while the gate is being rebuilt (lua/begin-rebuild-1.lua)
KEYS[2]  {coupon:<id>}:users    hash: userId -> ticket
KEYS[3]  {coupon:<id>}:handoff  hash: callId -> "deadline|admittedAt|user1|ticket1|user2|ticket2..."
KEYS[4]  the pending list of the Redis queue (QUEUE=redis); with QUEUE=kafka a key of the
         coupon's hash tag that is not touched (Redis Cluster wants every key on one slot)
ARGV[1]  couponId (for the queued message)
ARGV[2]  'list' to push each admitted request onto KEYS[4], 'none' otherwise
ARGV[3]  callId: unique per call, "<front-door instance>:<n>"
ARGV[4]  deadline, epoch ms on Redis's clock (0: none)
ARGV[5]  floor: the highest ticket the caller has handed off for the coupon (0: none)
ARGV[6..] userIds, in arrival order (already validated: [A-Za-z0-9_.:@-]{1,64}, no escaping needed)

Returns, by its first element (mirrored by AdmitStatus in src/gate/codes.ts):
  {-3}                      BEHIND: the ticket sequence is below the floor (data lost); nothing was written
  {-2}                      REBUILDING: the gate is being rebuilt from MySQL; nothing was written
  {-1}                      LATE: the deadline had passed; nothing was written
  {0}                       MISSING: the coupon's gate keys are absent (unknown coupon, or Redis lost them)
  {1, now, code1, ticket1, code2, ticket2, ...}
                            DECIDED at `now` (Redis clock, epoch ms), one pair per request, codes
                            mirroring GateCode: 1 ADMITTED (ticket = admission order, 1 = first),
                            2 ALREADY_ISSUED (ticket = the earlier one), 3 SOLD_OUT, 4 NOT_STARTED, 5 EXPIRED
]]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local deadline = tonumber(ARGV[4])
if deadline > 0 and now > deadline then
  return {-1}
end
local meta = redis.call('HMGET', KEYS[1], 'total', 'admitted', 'seq', 'startsAt', 'expiresAt', 'rebuilding')
if meta[6] then
  return {-2}
end
if not meta[1] then
  return {0}
end
local total, admitted, seq = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
if seq < tonumber(ARGV[5]) then
  return {-3}
end
local startsAt, expiresAt = tonumber(meta[4]), tonumber(meta[5])
local replies, answered, queued, marker = {1, now}, {0, 0, 0, 0, 0}, {}, {}
local firstSeq = seq
local push = ARGV[2] == 'list'
for i = 6, #ARGV do
  local userId = ARGV[i]
  local code, ticket = 3, 0
  if startsAt > 0 and now < startsAt then
    code = 4
  elseif expiresAt > 0 and now >= expiresAt then
    code = 5
  else
    local earlier = redis.call('HGET', KEYS[2], userId)
    if earlier then
      code, ticket = 2, tonumber(earlier)
    elseif admitted < total then
      -- Tickets come from their own sequence so a released admission never reuses one.
      admitted, seq = admitted + 1, seq + 1
      code, ticket = 1, seq
      -- Written now, not at the end: the same user twice in one batch must find it.
      redis.call('HSET', KEYS[2], userId, ticket)
      marker[#marker + 1] = userId
      marker[#marker + 1] = ticket
      if push then
        queued[#queued + 1] = '{"c":' .. ARGV[1] .. ',"u":"' .. userId .. '","t":' .. ticket .. ',"a":' .. now .. '}'
      end
    end
  end
  answered[code] = answered[code] + 1
  replies[#replies + 1] = code
  replies[#replies + 1] = ticket
end
if seq > firstSeq then
  redis.call('HINCRBY', KEYS[1], 'admitted', seq - firstSeq)
  redis.call('HINCRBY', KEYS[1], 'seq', seq - firstSeq)
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[4] .. '|' .. now .. '|' .. table.concat(marker, '|'))
end
for code = 1, 5 do
  if answered[code] > 0 then
    redis.call('HINCRBY', KEYS[1], 'n:' .. code, answered[code])
  end
end
if #queued > 0 then
  redis.call('RPUSH', KEYS[4], unpack(queued))
end
return replies
