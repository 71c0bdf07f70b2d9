import type { Redis } from 'ioredis';
import { EPOCH_INLINE } from '../shared/redis/commands.js';
import { replyError } from '../shared/redis/errors.js';

/**
 * The state manager's Lua scripts: each state change is one atomic, idempotent Redis step.
 * Registered with ioredis `defineCommand` and called through the typed wrappers of
 * `StateStore`; every script takes one JSON argument whose fields are named below. Field
 * formats are those of `shared/redis/records.ts`.
 */

/**
 * Lua shared by the change scripts: type checks (before any write, so a script never half
 * applies), the exam's stream, one examinee's frame, a part's examinees' entries.
 */
const CHANGE_STEPS = `${EPOCH_INLINE}
-- What one call would ask Redis more than once with the same answer, as the changes of a call
-- share their exam's keys: a key's type once checked (the writes keep it), a hash's fields (no
-- change script writes connections) and an expiry already set in this call.
local kinds, fieldsOf, expiries = {}, {}, {}
local function checkTypes(wanted)
  for key, kind in pairs(wanted) do
    if kinds[key] ~= kind then
      local t = redis.call('TYPE', key).ok
      if t ~= 'none' and t ~= kind then
        return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. t .. ', expected ' .. kind)
      end
      kinds[key] = kind
    end
  end
end
local function fields(key)
  local f = fieldsOf[key]
  if not f then
    f = redis.call('HKEYS', key)
    fieldsOf[key] = f
  end
  return f
end
local function expire(key, ttl)
  if expiries[key] ~= ttl then
    redis.call('EXPIRE', key, ttl)
    expiries[key] = ttl
  end
end
-- Undoes an INCR that gave \`seq\`.
local function takeBack(key, seq)
  if seq == 1 then redis.call('DEL', key) else redis.call('DECR', key) end
  expiries[key] = nil
end
-- A history holds only frames scored with its own counter's seqs, one each: it has at most
-- seq entries, so it needs trimming only once seq passes historyMax.
local function addFrame(e, seq, historyMax, historyTtl)
  redis.call('ZADD', e.historyKey, seq, e.prefix .. seq .. e.suffix)
  if seq > historyMax then redis.call('ZREMRANGEBYRANK', e.historyKey, 0, -historyMax - 1) end
  expire(e.historyKey, historyTtl)
end
-- Gives each examinee (seqKey, historyKey) its next seq with \`entry\` in its history, all or
-- none: when a command fails (a key of another type, a counter that is not an integer), what
-- the loop gave before it is taken back and the error returned, so a retry gives no seq twice.
-- Cheaper than checking every key's type first (two commands per examinee fewer), and it also
-- catches a counter that is a string but not a number. Returns the seqs, or nil and the error.
local function appendEntries(examinees, entry, historyMax, historyTtl)
  local seqs, added = {}, {}
  local function fail(given, r, key)
    for j = given, 1, -1 do
      if added[j] == 1 then redis.call('ZREM', examinees[j].historyKey, entry) end
      takeBack(examinees[j].seqKey, seqs[j])
    end
    return nil, redis.error_reply(r.err .. ' (' .. key .. ')')
  end
  for i, e in ipairs(examinees) do
    local seq = redis.pcall('INCR', e.seqKey)
    if type(seq) == 'table' then return fail(i - 1, seq, e.seqKey) end
    local n = redis.pcall('ZADD', e.historyKey, seq, entry)
    if type(n) == 'table' then
      takeBack(e.seqKey, seq)
      return fail(i - 1, n, e.historyKey)
    end
    seqs[i], added[i] = seq, n
  end
  for i, e in ipairs(examinees) do
    if seqs[i] > historyMax then redis.call('ZREMRANGEBYRANK', e.historyKey, 0, -historyMax - 1) end
    redis.call('EXPIRE', e.historyKey, historyTtl)
  end
  return seqs
end
-- The exam's stream and the stored status, given the exam's next seq (its INCR done), and
-- the request's epoch and exam seq with \`more\` fields (name, value, ...) in one write.
local function writeExam(a, examSeq, epoch, more)
  local x = a.exam
  addFrame(x, examSeq, a.examHistoryMax, a.historyTtl)
  redis.call('HSET', x.statusKey, 'status', x.status, 'supervisorId', x.supervisorId,
    'timestamp', x.timestamp, 'requestId', x.requestId, 'examId', x.examId, 'rev', examSeq)
  redis.call('HSET', a.request, 'examSeq', examSeq, 'epoch', epoch, unpack(more))
end
local function serversOf(key)
  return table.concat(fields(key), '|')
end
-- The exam's supervisor connections (fields serverId|supervisorId) in one read: each
-- supervisor's first server, and the servers in order.
local function supervisorIndex(indexKey)
  local index = { first = {}, seen = {}, servers = {} }
  for _, field in ipairs(fields(indexKey)) do
    local bar = string.find(field, '|', 1, true)
    if bar then
      local serverId, id = string.sub(field, 1, bar - 1), string.sub(field, bar + 1)
      if not index.first[id] then index.first[id] = serverId end
      if not index.seen[serverId] then
        index.seen[serverId] = true
        index.servers[#index.servers + 1] = serverId
      end
    end
  end
  return index
end
-- The servers holding sockets of the exam's supervisors (\`index\`) and the acting
-- supervisor's own (its other tabs see its changes in any exam). Returns them as "a|b" and a
-- route "id:server" per id of \`ids\`.
local function supervisorRoutes(index, actorConnsKey, actorId, ids)
  local servers, actorFirst = {}, index.first[actorId]
  for i, serverId in ipairs(index.servers) do servers[i] = serverId end
  for _, serverId in ipairs(fields(actorConnsKey)) do
    actorFirst = actorFirst or serverId
    if not index.seen[serverId] then servers[#servers + 1] = serverId end
  end
  local routes = {}
  for i, id in ipairs(ids) do
    routes[i] = id .. ':' .. ((id == actorId and actorFirst) or index.first[id] or '')
  end
  return table.concat(servers, '|'), table.concat(routes, ',')
end`;

/**
 * Applies one part of an exam-wide status change (part 0: the exam's stream, the stored
 * status and the first examinees; later parts: further examinees, so no call grows with the
 * exam). Every part of a change is sent in one round trip; a part applies only after the one
 * before it did, so a failure leaves a prefix applied, which a retry resumes without giving any
 * seq twice. Idempotent per part: a part already applied returns the seqs it gave.
 * Each examinee's history gets a reference to the change (wide.ref .. examSeq), and part 0
 * stores the examinees' frame template once in the exam's wide-frames set (see `WideFrameRef`).
 * Args: request, part, requestTtl, historyMax, examHistoryMax, historyTtl, epochKey, newEpoch, durable,
 * exam (part 0,
 * as APPLY_TARGETED's), examinees (ids), keys (seq, history, conns: a client's key around its
 * id), wide (key, ref, and on part 0 frame: the template's record),
 * supervisors (the last part only: indexKey, actorConnsKey, actorId, ids).
 * Returns { 'DUP' } when the whole request was applied before, { 'GAP' } when the part before
 * is not applied, else { epoch, examSeq, seqs "id:seq,…", examineeServers "a|b,…",
 * supervisorServers "a|b", supervisorRoutes "id:server,…" } (servers per examinee of the
 * part; the supervisors' on the last part).
 */
const APPLY_CHANGE_PART = `${CHANGE_STEPS}
local a = cjson.decode(ARGV[1])
if redis.call('HEXISTS', a.request, 'ack') == 1 then return { 'DUP' } end
if a.part > 0 and redis.call('HEXISTS', a.request, 'part:' .. (a.part - 1)) == 0 then
  return { 'GAP' }
end
local partField = 'part:' .. a.part
local done = redis.call('HGET', a.request, partField)
local epoch = epochOf(a.epochKey, a.newEpoch, a.durable)
local examSeq = redis.call('HGET', a.request, 'examSeq')
local k, w = a.keys, a.wide
local function key(affixes, id) return affixes[1] .. id .. affixes[2] end
if not done then
  local examinees = {}
  for i, id in ipairs(a.examinees) do
    examinees[i] = { seqKey = key(k.seq, id), historyKey = key(k.history, id) }
  end
  local nextExamSeq = examSeq
  if a.part == 0 then
    -- The exam's writes come after the examinees' (which may fail and take theirs back), so
    -- their keys are checked first and the exam's next seq read ahead.
    local x = a.exam
    local err = checkTypes({ [x.seqKey] = 'string', [x.historyKey] = 'zset',
      [x.statusKey] = 'hash', [w.key] = 'zset' })
    if err then return err end
    local current = redis.call('GET', x.seqKey)
    if current and not string.match(current, '^%-?%d+$') then
      return redis.error_reply('ERR ' .. x.seqKey .. ' is not a counter')
    end
    nextExamSeq = (tonumber(current) or 0) + 1
  end
  local seqs, err = appendEntries(examinees, w.ref .. nextExamSeq, a.historyMax, a.historyTtl)
  if not seqs then return err end
  if a.part == 0 then
    examSeq = redis.call('INCR', a.exam.seqKey)
    writeExam(a, examSeq, epoch, {})
    redis.call('ZADD', w.key, examSeq, w.frame)
    redis.call('ZREMRANGEBYRANK', w.key, 0, -a.historyMax - 1)
    redis.call('EXPIRE', w.key, a.historyTtl)
  end
  local pairs_ = {}
  for i, id in ipairs(a.examinees) do pairs_[i] = id .. ':' .. seqs[i] end
  done = table.concat(pairs_, ',')
  redis.call('HSET', a.request, partField, done)
  redis.call('EXPIRE', a.request, a.requestTtl)
end
local servers = {}
for i, id in ipairs(a.examinees) do servers[i] = serversOf(key(k.conns, id)) end
local supServers, supRoutes = '', ''
local s = a.supervisors
if s then
  supServers, supRoutes =
    supervisorRoutes(supervisorIndex(s.indexKey), s.actorConnsKey, s.actorId, s.ids)
end
return { epoch, tostring(examSeq or 0), done, table.concat(servers, ','), supServers, supRoutes }
`;

/**
 * Applies changes to one examinee each, in order, in one call (a lane's run of targeted
 * changes: up to TARGETED_PER_CALL). Each change: checks the examinee is in the exam, reads the
 * exam's supervisors, writes the exam's stream, the examinee's frame and status and the request
 * record (ack, trace, seqs, routes), all or nothing. What every change of the call reads alike
 * is read once: the epoch (nothing here moves it once read) and each exam's supervisors and
 * their connections (no change writes them). Nothing is read before it, so the changes of one
 * exam go to Redis together, in order, in one round trip.
 * Args: a list of changes, each with request, requestTtl, historyMax, examHistoryMax,
 * historyTtl, epochKey, newEpoch, durable, examineesKey, supervisorsKey, supervisorIndexKey
 * (the exam's supervisor connections), actorConnsKey, supervisorId, ack, trace (JSON of the
 * request record), exam (as APPLY_CHANGE_PART's), examinee ({id, seqKey, historyKey, connsKey}).
 * Returns per change { 'FORBIDDEN' } when the examinee is not in the exam, { 'ERR', message }
 * when it could not be applied (nothing of it was written), else
 * { 'OK' | 'DUP', epoch, examSeq, seqs "id:seq", examineeServers "a|b",
 *   supervisorServers "a|b", storedAck (DUP only) }.
 */
const APPLY_TARGETED = `${CHANGE_STEPS}
local epoch
local exams = {}
-- An exam's supervisors and their connections, read once per call: no change writes them.
local function supervisorsOf(a)
  local exam = exams[a.supervisorsKey]
  if not exam then
    exam = { ids = redis.call('SMEMBERS', a.supervisorsKey),
      index = supervisorIndex(a.supervisorIndexKey), members = {}, actors = {} }
    for _, id in ipairs(exam.ids) do exam.members[id] = true end
    exams[a.supervisorsKey] = exam
  end
  return exam
end
-- Who sees a change by this actor in its exam (the exam's supervisors, and the actor if it is
-- not one of them), their servers and their routes: the same for each of its changes here,
-- and the same for every actor that is a supervisor of the exam connected only where the
-- exam's index has it (its changes add no one, no server and no route of its own).
local function audienceOf(a)
  local exam = supervisorsOf(a)
  local audience = exam.actors[a.supervisorId]
  if audience then return audience end
  local index = exam.index
  local plain = exam.members[a.supervisorId] and index.first[a.supervisorId] ~= nil
  if plain then
    for _, serverId in ipairs(fields(a.actorConnsKey)) do
      if not index.seen[serverId] then plain = false end
    end
  end
  audience = plain and exam.plain
  if not audience then
    local supervisors = {}
    for i, id in ipairs(exam.ids) do supervisors[i] = id end
    if not exam.members[a.supervisorId] then supervisors[#supervisors + 1] = a.supervisorId end
    local servers, routes = supervisorRoutes(index, a.actorConnsKey, a.supervisorId, supervisors)
    audience = { supervisors = supervisors, servers = servers, routes = routes }
    if plain then exam.plain = audience end
  end
  exam.actors[a.supervisorId] = audience
  return audience
end
local function applyOne(a)
  local e, x = a.examinee, a.exam
  local stored = redis.call('HMGET', a.request, 'ack', 'epoch', 'examSeq', 'part:0')
  if not stored[1] and redis.call('SISMEMBER', a.examineesKey, e.id) == 0 then
    return { 'FORBIDDEN' }
  end
  local audience = audienceOf(a)
  local supServers = audience.servers
  local examineeServers = serversOf(e.connsKey)
  if stored[1] then
    return { 'DUP', stored[2] or '', stored[3] or '0', stored[4] or '', examineeServers,
      supServers, stored[1] }
  end
  local err =
    checkTypes({ [e.historyKey] = 'zset', [x.historyKey] = 'zset', [x.statusKey] = 'hash' })
  if err then return err end
  epoch = epoch or epochOf(a.epochKey, a.newEpoch, a.durable)
  -- The counters go last of what can fail: each INCR checks its key holds a counter, and the
  -- examinee's is taken back when the exam's fails, so a change that fails writes nothing.
  local seq = redis.pcall('INCR', e.seqKey)
  if type(seq) == 'table' then return { 'ERR', seq.err .. ' (' .. e.seqKey .. ')' } end
  local examSeq = redis.pcall('INCR', x.seqKey)
  if type(examSeq) == 'table' then
    takeBack(e.seqKey, seq)
    return { 'ERR', examSeq.err .. ' (' .. x.seqKey .. ')' }
  end
  -- A targeted change's frame is the same for the examinee and the supervisors but for the seq.
  e.prefix, e.suffix = x.prefix, x.suffix
  addFrame(e, seq, a.historyMax, a.historyTtl)
  local seqs = e.id .. ':' .. seq
  local routes = e.id .. ':' .. (string.match(examineeServers, '^[^|]+') or '')
  writeExam(a, examSeq, epoch, { 'part:0', seqs, 'ack', a.ack, 'trace', a.trace,
    'seqs', seqs .. ',' .. table.concat(audience.supervisors, ':' .. examSeq .. ',') .. ':' .. examSeq,
    'routes', routes .. ',' .. audience.routes })
  redis.call('EXPIRE', a.request, a.requestTtl)
  return { 'OK', epoch, tostring(examSeq), seqs, examineeServers, supServers }
end
local replies = {}
for i, a in ipairs(cjson.decode(ARGV[1])) do
  local ok, reply = pcall(applyOne, a)
  if not ok then reply = { 'ERR', type(reply) == 'table' and reply.err or tostring(reply) } end
  if reply.err then reply = { 'ERR', reply.err } end
  replies[i] = reply
end
return replies
`;

/**
 * Lua shared by CONNECT and KEEP_ALIVE: what routes to a connection and holds its place in its
 * exam (the client's connections entry, the exam's members of its role, a supervisor's entry in
 * the exam's supervisor connections), each written with an expiry by `expire(key)`.
 */
const HOLD_PLACE = `
local function holdPlace(c, serverId, expire)
  redis.call('HSET', c.connsKey, serverId, c.connId)
  expire(c.connsKey)
  redis.call('SADD', c.membersKey, c.clientId)
  expire(c.membersKey)
  if c.supervisorIndexKey then
    redis.call('HSET', c.supervisorIndexKey, serverId .. '|' .. c.clientId, c.connId)
    expire(c.supervisorIndexKey)
  end
end
`;

/**
 * Registers a client's connection on a server. With `restoreTakenAt` (reconciliation from a
 * heartbeat taken then) it does nothing if that connection has since closed or a newer one
 * took its place. Args: routeKey, connsKey, serverKey, membersKey, seqKey, serversKey,
 * epochKey, newEpoch, durable, serverId, connId, clientId, role, examId, at, heardAt, retention,
 * supervisorIndexKey? (a supervisor's: its exam's supervisor connections), restoreTakenAt?.
 * Returns { 'SKIP' } or { 'OK', seq, epoch, wentOnline (0|1) }: wentOnline is 1 when no other
 * connection of the client is registered.
 */
const CONNECT = `${EPOCH_INLINE}${HOLD_PLACE}
local a = cjson.decode(ARGV[1])
local field = 'client:' .. a.clientId
local gone = 'gone:' .. a.clientId
if a.restoreTakenAt then
  local g = redis.call('HGET', a.serverKey, gone)
  if g and string.sub(g, 1, #a.connId + 1) == a.connId .. '|' then return { 'SKIP' } end
  local cur = redis.call('HGET', a.serverKey, field)
  if cur then
    local since = string.sub(cur, string.find(cur, '|', 1, true) + 1)
    if since > a.restoreTakenAt then return { 'SKIP' } end
  end
end
-- Online unless another connection holds it; this very connection registered again (a
-- redelivered connect whose presence was never routed) announces again.
local wentOnline = 1
local held = redis.call('HGETALL', a.connsKey)
for i = 1, #held, 2 do
  if held[i] ~= a.serverId or held[i + 1] ~= a.connId then wentOnline = 0 end
end
holdPlace(a, a.serverId, function(key) redis.call('EXPIRE', key, a.retention) end)
redis.call('HSET', a.routeKey, 'serverId', a.serverId, 'lastConnection', a.at,
  'role', a.role, 'examId', a.examId)
redis.call('HSET', a.serverKey, field, a.connId .. '|' .. a.at, 'status', 'ACTIVE',
  'lastSync', a.heardAt)
redis.call('HDEL', a.serverKey, gone)
redis.call('SADD', a.serversKey, a.serverId)
local seq = tonumber(redis.call('GET', a.seqKey) or '0')
return { 'OK', seq, epochOf(a.epochKey, a.newEpoch, a.durable), wentOnline }
`;

/**
 * Removes one connection of a client (its last socket on `serverId` closed, or the server is
 * DOWN), leaving a `gone:` mark on the server, and a supervisor's entry in its exam's
 * supervisor connections. Args: routeKey, connsKey, serverKey, supervisorIndex (the key of an
 * exam's supervisor connections around the exam id), serverId, connId, clientId, at. Returns
 * { 'OFFLINE', role, examId } when it was the client's last connection anywhere (the route
 * goes too), else { 'KEEP' }.
 */
const DISCONNECT = `
local a = cjson.decode(ARGV[1])
local field = 'client:' .. a.clientId
local cur = redis.call('HGET', a.serverKey, field)
if cur and string.sub(cur, 1, #a.connId + 1) == a.connId .. '|' then
  redis.call('HDEL', a.serverKey, field)
end
redis.call('HSET', a.serverKey, 'gone:' .. a.clientId, a.connId .. '|' .. a.at)
if redis.call('HGET', a.connsKey, a.serverId) ~= a.connId then return { 'KEEP' } end
redis.call('HDEL', a.connsKey, a.serverId)
local route = redis.call('HMGET', a.routeKey, 'serverId', 'role', 'examId')
if route[2] == 'supervisor' and route[3] then
  local index = a.supervisorIndex[1] .. route[3] .. a.supervisorIndex[2]
  redis.call('HDEL', index, a.serverId .. '|' .. a.clientId)
end
local rest = redis.call('HKEYS', a.connsKey)
if #rest == 0 then
  redis.call('DEL', a.routeKey)
  return { 'OFFLINE', route[2] or '', route[3] or '' }
end
if route[1] == a.serverId then redis.call('HSET', a.routeKey, 'serverId', rest[1]) end
return { 'KEEP' }
`;

/**
 * Keeps the keys of connections a server still holds from expiring while they stay open (a
 * client connected longer than the retention, an exam quiet for longer): for each connection
 * still registered on the server under its connId, its client's connections entry, its exam's
 * membership and a supervisor's entry in the exam's supervisor connections are written again
 * with a fresh expiry (each key once per call). A connection that has closed or been replaced
 * since is left alone. Args: serverKey, serverId, retention, connections [{clientId, connId,
 * connsKey, membersKey, supervisorIndexKey?}]. Returns how many it kept.
 */
const KEEP_ALIVE = `${HOLD_PLACE}
local a = cjson.decode(ARGV[1])
local refreshed, kept = {}, 0
local function expireOnce(key)
  if not refreshed[key] then
    redis.call('EXPIRE', key, a.retention)
    refreshed[key] = true
  end
end
for _, c in ipairs(a.connections) do
  local held = redis.call('HGET', a.serverKey, 'client:' .. c.clientId)
  if held and string.sub(held, 1, #c.connId + 1) == c.connId .. '|' then
    holdPlace(c, a.serverId, expireOnce)
    kept = kept + 1
  end
end
return kept
`;

/**
 * Marks a server DOWN if its last heartbeat was heard before the cutoff. Args: serverKey,
 * cutoff. Returns 1 when it changed the server to DOWN.
 */
const MARK_DOWN_IF_SILENT = `
local a = cjson.decode(ARGV[1])
local s = redis.call('HMGET', a.serverKey, 'status', 'lastSync')
if s[1] == 'DOWN' then return 0 end
if s[2] and s[2] >= a.cutoff then return 0 end
redis.call('HSET', a.serverKey, 'status', 'DOWN')
return 1
`;

/** What every change script takes: the request record, the caps, the epoch. */
export interface ChangeArgs {
  request: string;
  requestTtl: number;
  historyMax: number;
  examHistoryMax: number;
  historyTtl: number;
  epochKey: string;
  newEpoch: string;
  /** Replicas hold every seq routed (REDIS_WAIT_REPLICAS > 0): see `EPOCH_INLINE`. */
  durable: boolean;
}

export interface ApplyChangePartArgs extends ChangeArgs {
  part: number;
  exam?: ExamArgs;
  /** The ids of this part's examinees. */
  examinees: string[];
  keys: { seq: Affixes; history: Affixes; conns: Affixes };
  /**
   * The exam's wide-frames set, the history entry's prefix (`WideFrameRef`), and on part 0
   * the examinees' frame template to store there (`WideFrameTemplate`).
   */
  wide: { key: string; ref: string; frame?: string };
  /** The last part only: whose servers and routes the reply lists. */
  supervisors?: SupervisorsArgs;
}

/** The exam's supervisors, as read in one step by the change scripts. */
interface SupervisorsArgs {
  /** The exam's supervisor connections (`examSupervisorConnections`). */
  indexKey: string;
  /** The acting supervisor's connections key, and its id. */
  actorConnsKey: string;
  actorId: string;
  /** The supervisors whose routes the reply lists, in order. */
  ids: string[];
}

/** What a per-id key has around the id (see `keyAffixes`). */
type Affixes = [prefix: string, suffix: string];

interface ExamArgs {
  seqKey: string;
  historyKey: string;
  prefix: string;
  suffix: string;
  statusKey: string;
  status: string;
  supervisorId: string;
  timestamp: string;
  requestId: string;
  examId: string;
}

/** Its frame is the exam's (`exam.prefix`, `exam.suffix`) with its own seq. */
interface ExamineeArgs {
  id: string;
  seqKey: string;
  historyKey: string;
  connsKey: string;
}

export interface ApplyTargetedArgs extends ChangeArgs {
  examineesKey: string;
  supervisorsKey: string;
  supervisorIndexKey: string;
  actorConnsKey: string;
  supervisorId: string;
  ack: string;
  trace: string;
  exam: ExamArgs;
  examinee: ExamineeArgs;
}

export interface ConnectArgs {
  routeKey: string;
  connsKey: string;
  serverKey: string;
  membersKey: string;
  seqKey: string;
  serversKey: string;
  epochKey: string;
  newEpoch: string;
  /** Replicas hold every seq routed (REDIS_WAIT_REPLICAS > 0): see `EPOCH_INLINE`. */
  durable: boolean;
  serverId: string;
  connId: string;
  clientId: string;
  role: string;
  examId: string;
  at: string;
  heardAt: string;
  retention: number;
  /** A supervisor's: its exam's supervisor connections, kept with its own. */
  supervisorIndexKey?: string;
  restoreTakenAt?: string;
}

export interface DisconnectArgs {
  routeKey: string;
  connsKey: string;
  serverKey: string;
  /** An exam's supervisor connections key around the exam id. */
  supervisorIndex: Affixes;
  serverId: string;
  connId: string;
  clientId: string;
  at: string;
}

export interface KeepAliveArgs {
  serverKey: string;
  serverId: string;
  retention: number;
  connections: {
    clientId: string;
    connId: string;
    connsKey: string;
    membersKey: string;
    supervisorIndexKey?: string;
  }[];
}

type Reply = (string | number | null)[];

/**
 * Targeted changes per script call at most: about 1 ms of Redis here (about 50 µs each,
 * 2026-12-07), well under the 5 ms any one command may take, and past the point where fewer
 * calls save more (ioredis' cost per call: 20-26 µs alone, 11-14 µs per change in calls of 20).
 */
export const TARGETED_PER_CALL = 20;

/** The typed face of the registered scripts. */
export interface StateScripts {
  applyChangePart(args: ApplyChangePartArgs): Promise<Reply>;
  /**
   * Applies one targeted change (its reply as APPLY_TARGETED's per change; `ERR` rejects).
   * Sent at once, or, inside `batched`, with the run it belongs to.
   */
  applyTargeted(args: ApplyTargetedArgs): Promise<Reply>;
  /**
   * Runs `issue`, sending the targeted changes it applies in calls of TARGETED_PER_CALL once
   * it returns, or as soon as it sends any other script: every call reaches Redis in the
   * order `issue` made it, as without it.
   */
  batched<T>(issue: () => T): T;
  connect(args: ConnectArgs): Promise<Reply>;
  disconnect(args: DisconnectArgs): Promise<Reply>;
  keepAlive(args: KeepAliveArgs): Promise<number>;
  markDownIfSilent(args: { serverKey: string; cutoff: string }): Promise<number>;
}

const SOURCES = {
  relayApplyChangePart: APPLY_CHANGE_PART,
  relayApplyTargeted: APPLY_TARGETED,
  relayConnect: CONNECT,
  relayDisconnect: DISCONNECT,
  relayKeepAlive: KEEP_ALIVE,
  relayMarkDownIfSilent: MARK_DOWN_IF_SILENT,
} as const;

type Registered = Record<keyof typeof SOURCES, (json: string) => Promise<unknown>>;

/** A targeted change waiting for its call, and who waits for its reply. */
interface Targeted {
  args: ApplyTargetedArgs;
  resolve(reply: Reply): void;
  reject(err: unknown): void;
}

/** Registers the scripts on `redis` (once per client) and returns their typed wrappers. */
export function stateScripts(redis: Redis): StateScripts {
  for (const [name, lua] of Object.entries(SOURCES)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  }
  // defineCommand adds methods ioredis' types cannot know of; this is their one typed view.
  const r = redis as unknown as Registered;
  /** The targeted changes `batched` has gathered, while it runs. */
  let gathering: Targeted[] | undefined;
  const sendTargeted = (run: Targeted[]) => {
    const call = r.relayApplyTargeted.call(redis, JSON.stringify(run.map((t) => t.args)));
    (call as Promise<Reply[]>).then(
      (replies) =>
        run.forEach((t, i) => {
          const reply = replies[i] ?? [];
          if (reply[0] === 'ERR') t.reject(replyError(String(reply[1])));
          else t.resolve(reply);
        }),
      (err: unknown) => run.forEach((t) => t.reject(err)),
    );
  };
  const flush = () => {
    const run = gathering ?? [];
    if (gathering) gathering = [];
    for (let i = 0; i < run.length; i += TARGETED_PER_CALL) {
      sendTargeted(run.slice(i, i + TARGETED_PER_CALL));
    }
  };
  const json =
    <T>(fn: (json: string) => Promise<unknown>) =>
    (args: object) => {
      flush();
      return fn.call(redis, JSON.stringify(args)) as Promise<T>;
    };
  return {
    applyChangePart: json<Reply>(r.relayApplyChangePart),
    applyTargeted: (args) =>
      new Promise<Reply>((resolve, reject) => {
        const targeted = { args, resolve, reject };
        if (gathering) gathering.push(targeted);
        else sendTargeted([targeted]);
      }),
    batched(issue) {
      if (gathering) return issue();
      gathering = [];
      try {
        return issue();
      } finally {
        flush();
        gathering = undefined;
      }
    },
    connect: json<Reply>(r.relayConnect),
    disconnect: json<Reply>(r.relayDisconnect),
    keepAlive: json<number>(r.relayKeepAlive),
    markDownIfSilent: json<number>(r.relayMarkDownIfSilent),
  };
}
