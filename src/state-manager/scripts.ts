import { Script } from '../shared/redis/script.js';

/**
 * Lua scripts that make each state change one atomic, idempotent Redis step. ioredis resends
 * commands that were in flight when a connection dropped, and the broker redelivers what we
 * did not ack, so every script must be safe to run twice with the same arguments.
 */

/**
 * Applies a status change once.
 * KEYS: request, then per recipient: seq, history, route; then per examinee: status.
 * ARGV: requestTtl, historyMax, historyTtl, nRecipients, nExaminees, ackJson,
 *       status, supervisorId, timestamp, examId, requestId, trace,
 *       then per recipient: clientId, frame-prefix, frame-suffix.
 * The request record also keeps `trace` (JSON: source server, state manager, time) and
 * `routes` ("clientId:serverId,…" as routed) for the admin's trace view.
 * The frame of recipient i is prefix .. seq .. suffix.
 * Returns { 'NEW', seqs, serverId_1 .. serverId_n } or, when the request was applied before,
 * { 'DUP', seqs, ackJson } as first stored; seqs is "clientId:seq,clientId:seq,…".
 */
export const APPLY_STATUS_CHANGE = new Script(`
local request = KEYS[1]
local existing = redis.call('HMGET', request, 'seqs', 'ack')
if existing[1] then
  return { 'DUP', existing[1], existing[2] }
end
local n = tonumber(ARGV[4])
local m = tonumber(ARGV[5])
-- Check every key's type before writing anything: a script error after some writes would
-- leave them applied (Redis does not roll back) and the retry would assign new seqs.
local function expect(key, kind)
  local t = redis.call('TYPE', key).ok
  if t ~= 'none' and t ~= kind then
    return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. t .. ', expected ' .. kind)
  end
end
for i = 1, n do
  local base = 1 + (i - 1) * 3
  local e = expect(KEYS[base + 1], 'string') or expect(KEYS[base + 2], 'zset') or expect(KEYS[base + 3], 'hash')
  if e then return e end
end
for j = 1, m do
  local e = expect(KEYS[1 + n * 3 + j], 'hash')
  if e then return e end
end
local routes = {}
local routed = {}
local historyMax = tonumber(ARGV[2])
local historyTtl = tonumber(ARGV[3])
local pairs_ = {}
for i = 1, n do
  local seqKey = KEYS[1 + (i - 1) * 3 + 1]
  local historyKey = KEYS[1 + (i - 1) * 3 + 2]
  local routeKey = KEYS[1 + (i - 1) * 3 + 3]
  local clientId = ARGV[12 + (i - 1) * 3 + 1]
  local seq = redis.call('INCR', seqKey)
  local frame = ARGV[12 + (i - 1) * 3 + 2] .. seq .. ARGV[12 + (i - 1) * 3 + 3]
  redis.call('ZADD', historyKey, seq, frame)
  redis.call('ZREMRANGEBYRANK', historyKey, 0, -historyMax - 1)
  redis.call('EXPIRE', historyKey, historyTtl)
  pairs_[i] = clientId .. ':' .. seq
  routes[i] = redis.call('HGET', routeKey, 'serverId') or ''
  routed[i] = clientId .. ':' .. routes[i]
end
for j = 1, m do
  redis.call('HSET', KEYS[1 + n * 3 + j],
    'status', ARGV[7], 'supervisorId', ARGV[8], 'timestamp', ARGV[9],
    'examId', ARGV[10], 'requestId', ARGV[11])
end
local seqs = table.concat(pairs_, ',')
redis.call('HSET', request, 'seqs', seqs, 'ack', ARGV[6], 'trace', ARGV[12],
  'routes', table.concat(routed, ','))
redis.call('EXPIRE', request, tonumber(ARGV[1]))
local result = { 'NEW', seqs }
for i = 1, n do result[2 + i] = routes[i] end
return result
`);

/**
 * Registers a connection. KEYS: route, serverConnections, examMembers, seq, servers.
 * ARGV: serverId, connId, timestamp, clientId, connectionField, role, examId.
 * Returns the client's latest seq.
 */
export const CONNECT = new Script(`
redis.call('HSET', KEYS[1], 'serverId', ARGV[1], 'lastConnection', ARGV[3], 'connId', ARGV[2],
  'role', ARGV[6], 'examId', ARGV[7])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[3], 'status', 'ACTIVE', 'lastSync', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[1])
return tonumber(redis.call('GET', KEYS[4]) or '0')
`);

/**
 * Removes a client from a server's connections, and its route only if the route's `field`
 * (`connId` for a disconnect, `serverId` when a server goes DOWN or no longer lists it) still
 * holds `value`: the client may have reconnected elsewhere first.
 * KEYS: route, serverConnections. ARGV: field, value, connectionField.
 * Returns { role, examId } of the removed route (the client went offline), or an empty list.
 */
export const REMOVE_CONNECTION = new Script(`
redis.call('HDEL', KEYS[2], ARGV[3])
local route = redis.call('HMGET', KEYS[1], ARGV[1], 'role', 'examId')
if route[1] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return { route[2] or '', route[3] or '' }
end
return {}
`);

/**
 * Records a heartbeat and adds connections the server reports that Redis lacks (with a
 * route, if the client has none). KEYS: serverConnections, servers, then per missing client:
 * route, seq. ARGV: serverId, now, takenAt, then per missing client: connectionField.
 * Returns each missing client's latest seq, so its server can catch it up.
 */
export const HEARTBEAT = new Script(`
redis.call('HSET', KEYS[1], 'status', 'ACTIVE', 'lastSync', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
local seqs = {}
for j = 1, (#KEYS - 2) / 2 do
  local route = KEYS[1 + j * 2]
  redis.call('HSET', KEYS[1], ARGV[3 + j], ARGV[3])
  if redis.call('EXISTS', route) == 0 then
    redis.call('HSET', route, 'serverId', ARGV[1], 'lastConnection', ARGV[3], 'connId', '')
  end
  seqs[j] = tonumber(redis.call('GET', KEYS[2 + j * 2]) or '0')
end
return seqs
`);

/**
 * Marks a server DOWN if its last heartbeat is older than the cutoff. KEYS: serverConnections.
 * ARGV: cutoff ISO time. Returns 1 when it changed the server to DOWN.
 */
export const MARK_DOWN_IF_SILENT = new Script(`
local s = redis.call('HMGET', KEYS[1], 'status', 'lastSync')
if s[1] == 'DOWN' then return 0 end
if s[2] and s[2] >= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'DOWN')
return 1
`);
