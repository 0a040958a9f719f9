"""The Lua scripts of the Redis broker, and the Python that packs their arguments.

Part of the wire contract: the server (``jupyter_sse.server.broker``) and processes that
publish straight to Redis (``jupyter_sse.kernel.transport.redis``) run the very same
``PUBLISH`` script, so an event looks the same in history and on the wire whoever
published it. The script makes no frame of its own: it fills the cursor and the time,
which only Redis knows, into the pieces ``jupyter_sse.wire.sse`` made.

Why scripts: a publish appends to history, updates the latest state, and publishes
the frame in one atomic step. Every live message therefore has its place in history,
and a reader that merges the two by position sees no gap and no duplicate. Scripts
need Redis 6.2 or later (XTRIM MINID, exclusive XRANGE).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .bounds import (
    DEFAULT_CHAT_SNAPSHOT_MESSAGES,
    SNAPSHOT_KEYS,
    SNAPSHOT_LOG_LINES,
    SNAPSHOT_METRIC_POINTS,
    SNAPSHOT_TABLE_ROWS,
)
from .events import EventIn
from .json_text import dumps
from .redis_keys import KeyLayout
from .sse import DATA_FIELD_OPEN, FRAME_END, ID_FIELD, frame_head

DEFAULT_HISTORY_SIZE: Final = 1000  # used until a server has written its settings
DEFAULT_HISTORY_TTL: Final = 3600.0
# A publisher retries a batch within seconds or minutes of a lost answer; an hour of
# idempotency keys covers that with room to spare, and each key expires on its own.
DEDUPE_TTL: Final = 3600
# Bounds the work of one publish when a long-idle channel's history expires at once;
# what is left over expires with the next publish.
TTL_STEPS: Final = 100

# State operations by event type; "o" (other, latest per type) for custom types.
_STATE_OPS: Final = {
    "progress": "p",
    "status": "s",
    "metric": "m",
    "log": "l",
    "table": "t",
    "notify": "",  # kept latest-only nowhere: a toast is an event, not a state
    # The last messages, by id in post order; an edit replaces a kept message, a delete
    # drops it (never bringing back one that is gone).
    "chat": "c",
    "chat_edit": "e",
    "chat_delete": "x",
    "presence": "",  # never published: each server tells its own streams
}

# The epoch, drawn from `candidate` if Redis has none yet. Reads write nothing otherwise,
# so streams still open while a full Redis (maxmemory, noeviction) refuses writes.
_EPOCH = r"""
local function current_epoch(key, candidate)
  local epoch = redis.call('GET', key)
  if not epoch then
    redis.call('SET', key, candidate)
    epoch = candidate
  end
  return epoch
end
"""

# Where a channel's keys live: the hub-wide namespace (channels under hub/, when the
# layout has one: `hub` is its prefix, else ''), or the tenant's own prefix.
_SPACES = r"""
local function space_of(channel, prefix, hub)
  if hub ~= '' and string.sub(channel, 1, 4) == 'hub/' then return hub end
  return prefix
end
"""

# Picks the registered channels that a list of subscriptions covers (ARGV[first..]), in
# any of `registries` (the tenant's, and the hub's).
_MATCHING = r"""
local function matching(registries, first)
  local seen, names = {}, {}
  for i = first, #ARGV do
    local p = ARGV[i]
    local found = {}
    if string.sub(p, -1) == '*' then
      local stem = string.sub(p, 1, -2)
      for _, registry in ipairs(registries) do
        local part
        if stem == '' then
          part = redis.call('ZRANGE', registry, 0, -1)
        else
          part = redis.call('ZRANGEBYLEX', registry, '[' .. stem, '[' .. stem .. '\255')
        end
        for _, name in ipairs(part) do found[#found + 1] = name end
      end
    else
      found = {p}
    end
    for _, name in ipairs(found) do
      if not seen[name] then
        seen[name] = true
        names[#names + 1] = name
      end
    end
  end
  table.sort(names)
  return names
end
"""

# The counter and the epoch are named in ARGV, not KEYS: a tenant's Redis user may only
# increment the one and set the other (ACL selectors), and a script call is allowed
# only when one selector covers all of its KEYS.

# KEYS: registry, config, hub registry (the registry again when no hub)
# ARGV: prefix, epoch candidate, default size, default ttl, dedupe ttl, max keys,
#       metric points, log lines, table rows, the frame's id field, data field and end
#       (wire.sse), hub prefix or "", counter key, epoch key, chat messages, then 8 per
#       event: channel, type, id or "", state op, state key, state value or "", head, data
PUBLISH = (
    _SPACES
    + r"""
local registry, config, hub_registry = KEYS[1], KEYS[2], KEYS[3]
local seq_key, epoch_key = ARGV[14], ARGV[15]
local prefix, hub = ARGV[1], ARGV[13]
redis.call('SET', epoch_key, ARGV[2], 'NX')
local epoch = redis.call('GET', epoch_key)
local conf = redis.call('HMGET', config, 'history_size', 'history_ttl')
local size = tonumber(conf[1] or ARGV[3])
local ttl = tonumber(conf[2] or ARGV[4])
local dedupe_ttl = ARGV[5]
local max_keys = tonumber(ARGV[6])
local list_caps = {m = tonumber(ARGV[7]), l = tonumber(ARGV[8])}
local table_rows = tonumber(ARGV[9])
local chat_messages = tonumber(ARGV[16])
local id_field, data_field, frame_end = ARGV[10], ARGV[11], ARGV[12]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local ts = clock[1] .. '.' .. string.format('%06d', tonumber(clock[2]))

local function trim(history, meta)
  -- Exact trimming (not MAXLEN ~): the last evicted position is then known exactly,
  -- so a resume gets `reset` only when it really missed an event.
  local last = nil
  local n = redis.call('XLEN', history)
  if n > size then
    local old = redis.call('XRANGE', history, '-', '+', 'COUNT', n - size)
    last = old[#old][1]
  end
  if ttl > 0 then
    local cutoff = now - ttl
    for _ = 1, __TTL_STEPS__ do
      local first = redis.call('XRANGE', history, last and ('(' .. last) or '-', '+', 'COUNT', 1)[1]
      if not first or tonumber(first[2][4]) >= cutoff then break end
      last = first[1]
    end
  end
  if last then
    local dropped = string.match(last, '^%d+')
    redis.call('XTRIM', history, 'MINID', dropped .. '-1')
    redis.call('HSET', meta, 'ev', dropped)
  end
end

local function keep_latest(hash, key, value, seq, most)
  redis.call('HSET', hash, key, value)
  redis.call('ZADD', hash .. ':o', seq, key)
  if redis.call('ZCARD', hash .. ':o') > most then
    redis.call('HDEL', hash, redis.call('ZPOPMIN', hash .. ':o')[1])
  end
end

local function apply(base, op, key, value, data, seq)
  if op == 'p' or op == 's' or op == 'o' then
    keep_latest(base .. 's' .. op, key, value ~= '' and value or data, seq, max_keys)
  elseif op == 'c' then
    keep_latest(base .. 'sc', key, data, seq, chat_messages)
  elseif op == 'e' then
    -- The message keeps its place; one that is no longer kept stays gone.
    if value ~= '' and redis.call('HEXISTS', base .. 'sc', key) == 1 then
      redis.call('HSET', base .. 'sc', key, value)
    end
  elseif op == 'x' then
    redis.call('HDEL', base .. 'sc', key)
    redis.call('ZREM', base .. 'sc:o', key)
  elseif op == 'm' or op == 'l' then
    local point = '{"ts":' .. ts .. '}'
    if data ~= '{}' then point = '{"ts":' .. ts .. ',' .. string.sub(data, 2) end
    local list = base .. 's' .. op
    redis.call('RPUSH', list, point)
    redis.call('LTRIM', list, -list_caps[op], -1)
  elseif op == 't' then
    local rows = base .. 'st:' .. key
    redis.call('RPUSH', rows, value)
    redis.call('LTRIM', rows, -table_rows, -1)
    redis.call('ZADD', base .. 'st', seq, key)
    if redis.call('ZCARD', base .. 'st') > max_keys then
      redis.call('DEL', base .. 'st:' .. redis.call('ZPOPMIN', base .. 'st')[1])
    end
  end
end

-- Consecutive frames of one channel go out as one pub/sub message, in order: a reader
-- then pays its per-message cost once per run of a batch, not once per event.
local live, run = nil, {}
local function send_run()
  if live then redis.call('PUBLISH', live, table.concat(run)) end
  live, run = nil, {}
end

local ids = {}
for i = 17, #ARGV, 8 do
  local channel, type_, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local space = space_of(channel, prefix, hub)
  local base = space .. '{' .. channel .. '}:'
  local seen = false
  if id ~= '' then seen = redis.call('GET', base .. 'i:' .. id) end
  if seen then
    ids[#ids + 1] = seen
  else
    local seq = redis.call('INCR', seq_key)
    local cursor = epoch .. '-' .. seq
    local frame = id_field .. cursor .. ARGV[i + 6] .. ts .. data_field .. ARGV[i + 7] .. frame_end
    redis.call('XADD', base .. 'h', seq .. '-0', 'f', frame, 't', ts)
    trim(base .. 'h', base .. 'm')
    redis.call('HINCRBY', base .. 'm', 'n', 1)
    redis.call('HSET', base .. 'm', 't', ts)
    redis.call('ZADD', space == prefix and registry or hub_registry, 0, channel)
    apply(base, ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 7], seq)
    if live ~= base .. 'live' then
      send_run()
      live = base .. 'live'
    end
    run[#run + 1] = frame
    if id ~= '' then redis.call('SET', base .. 'i:' .. id, cursor, 'EX', dedupe_ttl) end
    ids[#ids + 1] = cursor
  end
end
send_run()
return ids
""".replace("__TTL_STEPS__", str(TTL_STEPS))
)

# KEYS: registry, hub registry ; ARGV: prefix, hub prefix or "", epoch candidate,
# counter key, epoch key, subscriptions...
# Returns {epoch, seq, {name, progress, status, other, metric, log, tables, chat}...},
# all read in one step: the snapshot is exactly the state as of `seq`.
SNAPSHOT = (
    _EPOCH
    + _SPACES
    + _MATCHING
    + r"""
local prefix, hub = ARGV[1], ARGV[2]
local out = {current_epoch(ARGV[5], ARGV[3]), tonumber(redis.call('GET', ARGV[4]) or '0')}

local function latest(hash)
  local keys = redis.call('ZRANGE', hash .. ':o', 0, -1)
  local flat = {}
  if #keys == 0 then return flat end
  local values = redis.call('HMGET', hash, unpack(keys))
  for j, key in ipairs(keys) do
    if values[j] then
      flat[#flat + 1] = key
      flat[#flat + 1] = values[j]
    end
  end
  return flat
end

for _, name in ipairs(matching({KEYS[1], KEYS[2]}, 6)) do
  local base = space_of(name, prefix, hub) .. '{' .. name .. '}:'
  local tables = {}
  for _, t in ipairs(redis.call('ZRANGE', base .. 'st', 0, -1)) do
    tables[#tables + 1] = t
    tables[#tables + 1] = redis.call('LRANGE', base .. 'st:' .. t, 0, -1)
  end
  out[#out + 1] = {
    name, latest(base .. 'sp'), latest(base .. 'ss'), latest(base .. 'so'),
    redis.call('LRANGE', base .. 'sm', 0, -1), redis.call('LRANGE', base .. 'sl', 0, -1), tables,
    latest(base .. 'sc'),
  }
end
return out
"""
)

# KEYS: registry, config, hub registry
# ARGV: prefix, hub prefix or "", epoch candidate, cursor epoch, after (digits), counter
#       key, epoch key, subscriptions...
# Returns {epoch, seq, "ok", {name, lost 0/1, entries}...} or {epoch, seq, why}.
REPLAY = (
    _EPOCH
    + _SPACES
    + _MATCHING
    + r"""
local prefix, hub = ARGV[1], ARGV[2]
local epoch = current_epoch(ARGV[7], ARGV[3])
local seq = tonumber(redis.call('GET', ARGV[6]) or '0')
if epoch ~= ARGV[4] then return {epoch, seq, 'foreign'} end
local after = tonumber(ARGV[5])
if after > seq then return {epoch, seq, 'ahead'} end
local ttl = tonumber(redis.call('HGET', KEYS[2], 'history_ttl') or '0')
local cutoff = nil
if ttl > 0 then
  local clock = redis.call('TIME')
  cutoff = tonumber(clock[1]) + tonumber(clock[2]) / 1000000 - ttl
end
local out = {epoch, seq, 'ok'}
for _, name in ipairs(matching({KEYS[1], KEYS[3]}, 8)) do
  local base = space_of(name, prefix, hub) .. '{' .. name .. '}:'
  local lost = tonumber(redis.call('HGET', base .. 'm', 'ev') or '0') > after
  local entries = {}
  if not lost then
    entries = redis.call('XRANGE', base .. 'h', '(' .. ARGV[5] .. '-0', '+')
    -- An expired entry inside the gap is as good as evicted: the next publish drops it.
    lost = cutoff ~= nil and entries[1] ~= nil and tonumber(entries[1][2][4]) < cutoff
  end
  out[#out + 1] = {name, lost and 1 or 0, lost and {} or entries}
end
return out
"""
)

# KEYS: config ; ARGV: epoch candidate, rotate (0/1), history size, history ttl, counter
# key, epoch key
# Returns {epoch, seq}. Rotating draws a new epoch: every cursor issued so far is foreign.
SYNC = (
    _EPOCH
    + r"""
local epoch
if ARGV[2] == '1' then
  redis.call('SET', ARGV[6], ARGV[1])
  epoch = ARGV[1]
else
  epoch = current_epoch(ARGV[6], ARGV[1])
end
local conf = redis.call('HMGET', KEYS[1], 'history_size', 'history_ttl')
if conf[1] ~= ARGV[3] or conf[2] ~= ARGV[4] then
  redis.call('HSET', KEYS[1], 'history_size', ARGV[3], 'history_ttl', ARGV[4])
end
return {epoch, tonumber(redis.call('GET', ARGV[5]) or '0')}
"""
)


# Who watches the streams of each server, shared by the servers of one space (a tenant,
# the hub). Each server writes its own entry; an entry not renewed within its ttl (the
# server died) is dropped by the next server that looks.
# KEYS: per space, 4: presence hash, expiry set, revision counter, channel registry
# ARGV: server id, ttl (seconds), then per space, 2: this server's entry ("" to remove
#       it, "-" to keep it as it is), the revision the caller last read ("" for none)
# Returns per space {revision, missing (1: "-" found no entry, send it whole), entries
# (server id, entry, ...; only when the revision is not the caller's), changed (1 when
# entries were read), channels in the registry}.
PRESENCE = r"""
local id, ttl = ARGV[1], tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local out = {}
for s = 0, #KEYS / 4 - 1 do
  local hash, expiry = KEYS[s * 4 + 1], KEYS[s * 4 + 2]
  local rev, registry = KEYS[s * 4 + 3], KEYS[s * 4 + 4]
  local entry, known = ARGV[3 + s * 2], ARGV[4 + s * 2]
  local changed, missing = false, 0
  if entry == '' then
    if redis.call('HDEL', hash, id) == 1 then changed = true end
    redis.call('ZREM', expiry, id)
  else
    if entry == '-' then
      if redis.call('HEXISTS', hash, id) == 0 then missing = 1 end
    elseif redis.call('HGET', hash, id) ~= entry then
      redis.call('HSET', hash, id, entry)
      changed = true
    end
    if missing == 0 then redis.call('ZADD', expiry, now + ttl, id) end
  end
  local dead = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  if #dead > 0 then
    for _, gone in ipairs(dead) do redis.call('HDEL', hash, gone) end
    redis.call('ZREMRANGEBYSCORE', expiry, '-inf', now)
    changed = true
  end
  if changed then redis.call('HINCRBY', rev, 'n', 1) end
  local revision = redis.call('HGET', rev, 'n') or '0'
  local entries, read = {}, 0
  if revision ~= known then
    entries, read = redis.call('HGETALL', hash), 1
  end
  out[#out + 1] = {revision, missing, entries, read, redis.call('ZCARD', registry)}
end
return out
"""


def presence_keys(keys: KeyLayout) -> list[str]:
    """``KEYS`` of the ``PRESENCE`` script: 4 per space of ``keys.spaces``."""
    out: list[str] = []
    for space in keys.spaces:
        out += [*keys.presence(space), keys.registry_of(space)]
    return out


def publish_keys(keys: KeyLayout) -> list[str]:
    """``KEYS`` of the ``PUBLISH`` script."""
    return [keys.registry, keys.config, keys.hub_registry or keys.registry]


def snapshot_keys(keys: KeyLayout) -> list[str]:
    """``KEYS`` of the ``SNAPSHOT`` script."""
    return [keys.registry, keys.hub_registry or keys.registry]


def replay_keys(keys: KeyLayout) -> list[str]:
    """``KEYS`` of the ``REPLAY`` script."""
    return [keys.registry, keys.config, keys.hub_registry or keys.registry]


def publish_args(
    keys: KeyLayout,
    epoch_candidate: str,
    events: Sequence[EventIn],
    *,
    history_size: int = DEFAULT_HISTORY_SIZE,
    history_ttl: float = DEFAULT_HISTORY_TTL,
    chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES,
) -> list[str]:
    """``ARGV`` of the ``PUBLISH`` script for already validated ``events``.

    The script builds each frame around pieces made here once (``wire.sse``): the
    frame's head and the event's ``data`` JSON; only the cursor and the timestamp are
    added in Redis.
    """
    args = [
        keys.prefix,
        epoch_candidate,
        str(history_size),
        repr(float(history_ttl)),
        str(DEDUPE_TTL),
        str(SNAPSHOT_KEYS),
        str(SNAPSHOT_METRIC_POINTS),
        str(SNAPSHOT_LOG_LINES),
        str(SNAPSHOT_TABLE_ROWS),
        ID_FIELD,
        DATA_FIELD_OPEN,
        FRAME_END,
        keys.hub or "",
        keys.seq,
        keys.epoch,
        str(chat_messages),
    ]
    for event in events:
        channel, type_, data = event["channel"], event["type"], event["data"]
        op = _STATE_OPS.get(type_, "o")
        key = value = ""
        if op in ("p", "s"):
            key = data["key"]
        elif op == "o":
            key = type_
        elif op == "t":
            key, value = data["table"], dumps(data["row"])
        elif op in ("c", "e", "x"):
            key, value = data["id"], event.get("state_json", "")
        head = frame_head(channel, type_)
        data_json = event.get("data_json")
        if data_json is None:
            data_json = dumps(data)
        args += [channel, type_, event.get("id", ""), op, key, value, head, data_json]
    return args
