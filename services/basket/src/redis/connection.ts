import { Redis } from "ioredis";

/** Where the basket store lives (REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_DB). */
export interface RedisConfig {
  host: string;
  port: number;
  password?: string | undefined;
  db: number;
}

/** Longest wait for any one command, queued time included, before it fails. */
const COMMAND_TIMEOUT_MS = 3_000;

/**
 * Opens a Redis client for the basket service and starts connecting at once. It does not wait
 * for the connection: the service starts even while Redis is down, reports not-ready (see the
 * repository's `ping`) and recovers by itself when Redis comes back.
 *
 * Every command is bounded in time: while the client (re)connects a command waits in the offline
 * queue — so calls made right after start-up or during a blip succeed — but for at most
 * {@link COMMAND_TIMEOUT_MS} and one reconnection attempt, so a request during an outage fails
 * fast instead of hanging. Reconnection never gives up and backs off to at most one second, so
 * readiness returns soon after Redis does.
 *
 * Commands are auto-pipelined: the scripts of every request that reaches Redis in one
 * event-loop turn go out in one write and come back in one read (under load that saves most of
 * a write and a read system call per request, here and in Redis); each stays its own atomic
 * script, run in the order it was sent.
 *
 * The client emits `error` events while Redis is unreachable; attach a listener (to log them),
 * or ioredis prints them to stderr. Call `quit()` on shutdown.
 */
export function connectRedis(config: RedisConfig): Redis {
  return new Redis({
    host: config.host,
    port: config.port,
    // an empty REDIS_PASSWORD means "no AUTH", not "AUTH with the empty string"
    password: config.password || undefined,
    db: config.db,
    connectionName: "basket",
    enableAutoPipelining: true,
    lazyConnect: false,
    connectTimeout: 5_000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
}
