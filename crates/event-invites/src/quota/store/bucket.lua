-- The shared quota's bucket, updated atomically on Redis's own clock: a port
-- of `Bucket::{decide, observe, block}` and `Ask::apply` in src/quota/bucket.rs
-- (the differential test in src/quota/store/redis.rs runs both on the same
-- event sequences). Times are microseconds; a bucket is one string of nine
-- fields ("-" for none), kept with an expiry so idle buckets go away.
--
-- KEYS[1]  the bucket                          KEYS[2]  its pacers lately
-- ARGV[1]  quota limit (0: no client quota)     ARGV[2]  quota window (µs)
-- ARGV[3]  1 to count a request, 0 to look      ARGV[4]  seed bucket or ""
-- ARGV[5]  the asking pacer (a random number, counted among the pacers
--          at work on the bucket lately)
-- ARGV[6…] events, five values each: "o", ago, limit or "-", remaining,
--          reset | "b", ago, wait, "-", "-"  (ago, reset and wait in µs)
--
-- Returns the time, the bucket after, the wait (µs) and why ("quota",
-- "server", "retry"; both "" when a request was counted or none asked),
-- and the number of pacers lately.

local FIELDS = {'tokens', 'refilled_at', 'server_remaining', 'window_lo', 'window_hi',
  'blocked_until', 'sent_unknown', 'server_limit', 'server_window'}

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local qlimit = tonumber(ARGV[1])
local qwindow = tonumber(ARGV[2])
local take = ARGV[3] == '1'

local function decode(text)
  local b, i = {}, 1
  for field in string.gmatch(text, '%S+') do
    if field ~= '-' then b[FIELDS[i]] = tonumber(field) end
    i = i + 1
  end
  return b
end

local function encode(b)
  local out = {}
  for i, name in ipairs(FIELDS) do
    local v = b[name]
    if v == nil then
      out[i] = '-'
    elseif name == 'tokens' then
      out[i] = string.format('%.17g', v)
    else
      out[i] = string.format('%.0f', v)
    end
  end
  return table.concat(out, ' ')
end

-- The quota paced by: the configured one, or the server's smaller limit
-- over its window (the configured window until its headers tell).
local function effective(b)
  if qlimit == 0 then return nil end
  if b.server_limit ~= nil and b.server_limit < qlimit then
    return math.max(b.server_limit, 1), b.server_window or qwindow
  end
  return qlimit, qwindow
end

local function refill(b, limit, window)
  local capacity = math.max(limit, 1)
  local rate = capacity / math.max(window / 1e6, 2.220446049250313e-16)
  local elapsed = math.max(now - b.refilled_at, 0) / 1e6
  b.tokens = math.min(b.tokens + elapsed * rate, capacity)
  b.refilled_at = math.max(b.refilled_at, now)
  return rate
end

-- Counts a request, or returns the wait (µs) and why.
local function decide(b)
  if b.blocked_until ~= nil then
    if b.blocked_until > now then return b.blocked_until - now, 'retry' end
    b.blocked_until = nil
  end
  if b.window_hi ~= nil and b.window_hi <= now then
    b.window_lo, b.window_hi = nil, nil
    b.server_remaining = b.server_limit
  end
  if b.server_remaining == 0 then
    local wait = 1000000
    if b.window_hi ~= nil then wait = b.window_hi - now end
    return math.max(wait, 1000), 'server'
  end
  local limit, window = effective(b)
  if limit ~= nil then
    local rate = refill(b, limit, window)
    if b.tokens < 1 then return math.ceil((1 - b.tokens) / rate * 1e6), 'quota' end
    b.tokens = b.tokens - 1
  end
  if b.server_remaining ~= nil then
    b.server_remaining = math.max(b.server_remaining - 1, 0)
  else
    b.sent_unknown = b.sent_unknown + 1
  end
  return nil
end

local function observe(b, limit, remaining, reset, at)
  local earliest, latest = at + math.max(reset - 1000000, 0), at + reset
  -- A reading of a window that ended before the one we know: nothing new.
  if b.window_lo ~= nil and latest < b.window_lo then return end
  if b.window_hi ~= nil and earliest <= b.window_hi and latest >= b.window_lo then
    b.window_lo, b.window_hi = math.max(b.window_lo, earliest), math.min(b.window_hi, latest)
    if b.server_remaining ~= nil then
      b.server_remaining = math.min(b.server_remaining, remaining)
    else
      b.server_remaining = remaining
    end
  elseif b.window_hi ~= nil then
    b.window_lo, b.window_hi = earliest, latest
    b.server_remaining = remaining
  else
    b.window_lo, b.window_hi = earliest, latest
    local blind = math.max(b.sent_unknown - 1, 0)
    b.sent_unknown = 0
    if b.server_remaining ~= nil then
      b.server_remaining = math.min(b.server_remaining, remaining)
    else
      b.server_remaining = math.max(remaining - blind, 0)
    end
  end
  if limit ~= nil then b.server_limit = limit end
  b.server_window = math.max(b.server_window or 0, reset)
end

local stored = redis.call('GET', KEYS[1])
local b
if stored then
  b = decode(stored)
elseif ARGV[4] ~= '' then
  b = decode(ARGV[4])
else
  b = { tokens = 0, refilled_at = now, sent_unknown = 0 }
  if qlimit > 0 then b.tokens = math.max(qlimit, 1) end
end

local i = 6
while ARGV[i] ~= nil do
  local at = math.max(now - tonumber(ARGV[i + 1]), 0)
  if ARGV[i] == 'o' then
    observe(b, tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), at)
  else
    local until_ = at + tonumber(ARGV[i + 2])
    b.blocked_until = math.max(b.blocked_until or until_, until_)
  end
  i = i + 5
end

local wait, reason = nil, nil
if take then wait, reason = decide(b) end

-- Kept while it matters: the quota's window, the server's, a hold.
local span = math.max(qwindow, b.server_window or 0,
  (b.window_hi or now) - now, (b.blocked_until or now) - now)
local ttl = math.ceil(span / 1000) * 2 + 1000
redis.call('SET', KEYS[1], encode(b), 'PX', ttl)

-- The pacers at work lately: a sorted set of ids by when each is next
-- expected (now, or when its wait ends), trimmed to those expected in the
-- last 5 s: a pacer waiting out a long window still counts, one that
-- stopped asking soon does not.
local LATELY = 5000000
if take then
  redis.call('ZADD', KEYS[2], now + (wait or 0), ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - LATELY)
local pacers = redis.call('ZCARD', KEYS[2])

local shown = ''
if wait ~= nil then shown = string.format('%.0f', wait) end
return { string.format('%.0f', now), encode(b), shown, reason or '', tostring(pacers) }
