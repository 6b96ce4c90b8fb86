import type { Redis } from "ioredis";

/** A key's count in its current window, this request included, and how long the window has left. */
export interface WindowCount {
  readonly count: number;
  readonly msLeft: number;
}

/** Counts one request against `key`; rejects when Redis fails or does not answer in time. */
export type CountRequest = (key: string) => Promise<WindowCount>;

/**
 * KEYS: the keys to count, one request each, in order (a key may come more than once); ARGV[1]:
 * the window in ms. A key's first count opens its window (the key expires with it); a key left
 * without an expiry (set by hand, or by a script cut short) gets one. Replies count, ms left for
 * each key in turn. Redis runs a script whole, so every count is atomic as a script of its own
 * would be: concurrent replicas interleave between calls, never inside one.
 */
const COUNT_SCRIPT = `
local window = tonumber(ARGV[1])
local reply = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, window)
    left = window
  end
  reply[i * 2 - 1] = count
  reply[i * 2] = left
end
return reply`;

const COMMAND = "shopCountWindows";

/**
 * Bounds one script's run: Redis serves nobody else meanwhile (about a microsecond a key). A turn
 * with more requests sends several calls.
 */
const MAX_KEYS_PER_CALL = 512;

type CountCommand = (keyCount: number, ...keysThenWindow: (string | number)[]) => Promise<number[]>;

/**
 * Fixed-window request counts in Redis, shared by every process that counts with the same keys.
 * Every count asked for in one turn of the event loop (all the requests that one wake-up brought)
 * goes to Redis in ONE script call, run by EVALSHA: under load a request costs a key in a batch,
 * not a command of its own (ioredis's command, promise, timer and reply objects were most of
 * what rate limiting cost the gateway). One call's keys may lie in any hash slot, so this needs
 * one Redis server (or a primary with replicas), not Redis Cluster. `redis` should fail fast, not
 * queue: see `rateLimitRedisOptions`.
 */
export function createWindowCounter(redis: Redis, windowMs: number): CountRequest {
  redis.defineCommand(COMMAND, { lua: COUNT_SCRIPT });
  const send = (redis as unknown as Record<typeof COMMAND, CountCommand>)[COMMAND].bind(redis);
  let open: { keys: string[]; reply: Promise<number[]> } | undefined;
  const openBatch = () => {
    const keys: string[] = [];
    const reply = new Promise<number[]>((resolve) => {
      setImmediate(() => {
        if (open?.keys === keys) open = undefined;
        resolve(send(keys.length, ...keys, windowMs));
      });
    });
    return { keys, reply };
  };
  return async (key) => {
    if (!open || open.keys.length >= MAX_KEYS_PER_CALL) open = openBatch();
    const batch = open;
    const at = (batch.keys.push(key) - 1) * 2;
    const reply = await batch.reply;
    return { count: reply[at] as number, msLeft: reply[at + 1] as number };
  };
}
