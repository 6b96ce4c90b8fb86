import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { DependencyTimeout, DependencyUnavailable } from "#shared/errors";

/**
 * The basket's Lua scripts. Each one is a whole operation — check, write, `updated_at`, TTL
 * refresh and read-back — run atomically by Redis, so concurrent requests on one basket
 * serialise instead of overwriting each other. Scripts live here as strings rather than `.lua`
 * files because `tsc` would not copy those to `dist/`.
 *
 * Every script takes KEYS[1] = the basket hash (id, user_id, created_at, updated_at) and
 * KEYS[2] = the items hash (product id → line JSON); a script may take more keys after these
 * two, all in the basket's hash slot. Replies start with a status word: `ok`
 * followed by the state, `deleted`, or `no_basket`, `no_item`, `duplicate`, `over_limit` (followed by the
 * quantity the line would have held).
 * Ids and timestamps come in as arguments so scripts stay deterministic.
 */

// Shared helpers. Money never becomes a Lua number (doubles lose cents past 2^53): prices stay
// strings and TypeScript does the arithmetic on the returned lines.
const PRELUDE = `
local meta, items = KEYS[1], KEYS[2]
local function exists() return redis.call('EXISTS', meta) == 1 end
local function touch(ttl)
  redis.call('EXPIRE', meta, ttl)
  redis.call('EXPIRE', items, ttl)
end
local function bump(now)
  -- max(old, now): a service instance whose clock lags must not move updated_at backwards
  local last = tonumber(redis.call('HGET', meta, 'updated_at'))
  if last == nil or tonumber(now) > last then redis.call('HSET', meta, 'updated_at', now) end
end
local function ensure(id, user, now)
  if exists() then return end
  -- lines can never outlive their basket, even if a key was removed by hand
  redis.call('DEL', items)
  redis.call('HSET', meta, 'id', id, 'user_id', user, 'created_at', now, 'updated_at', now)
end
local function state()
  local head = redis.call('HMGET', meta, 'id', 'created_at', 'updated_at')
  return {'ok', head[1], head[2], head[3], redis.call('HGETALL', items)}
end
`;

/** ARGV: ttl. */
const GET = `
if not exists() then return {'no_basket'} end
touch(ARGV[1])
return state()`;

/** ARGV: ttl, now, new basket id, user id. */
const CREATE = `
ensure(ARGV[3], ARGV[4], ARGV[2])
touch(ARGV[1])
return state()`;

/** ARGV: (none). */
const DELETE = `
if not exists() then return {'no_basket'} end
redis.call('DEL', meta, items)
return {'deleted'}`;

/** ARGV: ttl, now, new basket id, user id, product id, quantity to add, line limit, new line JSON. */
const ADD_ITEM = `
local pid, qty, limit = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local raw = exists() and redis.call('HGET', items, pid)
local line
if raw then
  line = cjson.decode(raw)
  line.quantity = line.quantity + qty
else
  line = cjson.decode(ARGV[8])
  line.quantity = qty
end
-- checked before anything is written, so a refusal leaves Redis exactly as it was
if line.quantity > limit then return {'over_limit', tostring(line.quantity)} end
ensure(ARGV[3], ARGV[4], ARGV[2])
redis.call('HSET', items, pid, cjson.encode(line))
bump(ARGV[2])
touch(ARGV[1])
return state()`;

/** ARGV: ttl, now, product id, new quantity, line limit. */
const UPDATE_ITEM = `
if not exists() then return {'no_basket'} end
local raw = redis.call('HGET', items, ARGV[3])
if not raw then return {'no_item'} end
local qty = tonumber(ARGV[4])
if qty > tonumber(ARGV[5]) then return {'over_limit', ARGV[4]} end
local line = cjson.decode(raw)
line.quantity = qty
redis.call('HSET', items, ARGV[3], cjson.encode(line))
bump(ARGV[2])
touch(ARGV[1])
return state()`;

/** ARGV: ttl, now, product id. */
const REMOVE_ITEM = `
if not exists() then return {'no_basket'} end
if redis.call('HDEL', items, ARGV[3]) == 0 then return {'no_item'} end
bump(ARGV[2])
touch(ARGV[1])
return state()`;

/** ARGV: ttl, now. */
const CLEAR_ITEMS = `
if not exists() then return {'no_basket'} end
redis.call('DEL', items)
bump(ARGV[2])
touch(ARGV[1])
return state()`;

/**
 * ARGV: ttl, now, marker ttl; KEYS[3] = the event's marker. Clears the lines once per event: the
 * marker is written in the same script as the change, so a redelivered event changes nothing,
 * also when the user has filled the basket again since.
 */
const CLEAR_FOR_EVENT = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then return {'duplicate'} end
if not exists() then return {'no_basket'} end
redis.call('DEL', items)
bump(ARGV[2])
touch(ARGV[1])
return state()`;

/** A Lua script with its SHA-1, so it is sent in full only when Redis has not cached it. */
export interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(body: string): Script {
  const lua = PRELUDE + body;
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/** The basket's scripts, by operation. */
export const scripts = {
  get: script(GET),
  create: script(CREATE),
  delete: script(DELETE),
  addItem: script(ADD_ITEM),
  updateItem: script(UPDATE_ITEM),
  removeItem: script(REMOVE_ITEM),
  clearItems: script(CLEAR_ITEMS),
  clearForEvent: script(CLEAR_FOR_EVENT),
} as const;

/**
 * Runs a script with EVALSHA, falling back to EVAL once when Redis does not know it yet
 * (first use, restart, SCRIPT FLUSH). Errors from the connection, not from Redis itself, become
 * DependencyUnavailable / DependencyTimeout so the edge answers Unavailable rather than Internal.
 */
export async function runScript(
  redis: Redis,
  { lua, sha }: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.eval(lua, keys.length, ...keys, ...args);
    }
  } catch (error) {
    throw asDependencyError(error);
  }
}

function isNoScript(error: unknown): boolean {
  return (
    error instanceof Error && error.name === "ReplyError" && error.message.startsWith("NOSCRIPT")
  );
}

function asDependencyError(error: unknown): unknown {
  // a ReplyError is Redis answering (a script bug, not an outage): let it through as it is
  if (!(error instanceof Error) || error.name === "ReplyError") return error;
  // ioredis signals a client-side timeout only through this message
  if (error.message === "Command timed out") {
    return new DependencyTimeout("basket store (Redis) did not answer in time", { cause: error });
  }
  return new DependencyUnavailable("basket store (Redis) is unavailable", { cause: error });
}
