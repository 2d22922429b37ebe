import { createHash } from 'node:crypto'

/** A Lua script and its SHA-1, for `EVALSHA` with `EVAL` as the fallback. */
export interface ReplayScript {
  readonly source: string
  readonly sha: string
}

function script(source: string): ReplayScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Claims ids, in order, in one atomic step. KEYS: the sentinel, then each claim's id key. ARGV: the
 * sentinel value the store knows, then per claim its value, the TTL in ms, the number of the
 * store's own earlier claims on this key that were never confirmed, and their values. Answers one
 * entry per claim: 1 when the call holds the key (newly, or because this very claim ran twice, or
 * by taking over a claim of its own that was answered with a refusal), 0 when another claim holds
 * it (an earlier one of the same batch included), and the sentinel's value ('' when missing) when
 * it is not the known one.
 */
export const CLAIM = script(`
local sentinel = redis.call('GET', KEYS[1])
local answers = {}
local at = 2
for k = 2, #KEYS do
  local value = ARGV[at]
  local own = tonumber(ARGV[at + 2])
  local answer = 1
  if sentinel ~= ARGV[1] then
    answer = sentinel or ''
  else
    local current = redis.call('GET', KEYS[k])
    if current and current ~= value then
      answer = 0
      for i = at + 3, at + 2 + own do
        if current == ARGV[i] then answer = 1 end
      end
    end
    if answer == 1 and current ~= value then
      redis.call('SET', KEYS[k], value, 'PX', ARGV[at + 1])
    end
  end
  answers[k - 1] = answer
  at = at + 3 + own
end
return answers
`)

/**
 * Gives up the store's unconfirmed claims on a key. KEYS: the id's key. ARGV: the claim values.
 * Deletes the key only while it still holds one of them, so a claim made since by anyone stays.
 */
export const RELEASE = script(`
local current = redis.call('GET', KEYS[1])
for i = 1, #ARGV do
  if current == ARGV[i] then
    redis.call('DEL', KEYS[1])
    return 1
  end
end
return 0
`)

/**
 * Reads or creates the sentinel. KEYS: the sentinel. ARGV: the value the store knows ('' before its
 * first look), the value for a first start (`epoch:0`), the value for a loss (`epoch:now`).
 * Answers the value the store must adopt. A sentinel that replaced the known one as a first start
 * is turned into a loss, since the store saw the data that came before it.
 */
export const SYNC = script(`
local current = redis.call('GET', KEYS[1])
if current then
  if ARGV[1] == '' or current == ARGV[1] or string.sub(current, -2) ~= ':0' then
    return current
  end
  redis.call('SET', KEYS[1], ARGV[3])
  return ARGV[3]
end
if ARGV[1] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
redis.call('SET', KEYS[1], ARGV[3])
return ARGV[3]
`)
