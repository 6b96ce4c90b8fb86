import { DependencyTimeout, DependencyUnavailable } from "./errors.js";

/**
 * How a call to a store (database, cache) failed at the connection level:
 * - "unavailable": the store could not be reached, refused the connection, or the connection
 *   broke (reset, closed, server shutting down, too many connections);
 * - "timeout": the store did not answer within the call's deadline; the call may still take
 *   effect.
 */
export type StoreFailure = "unavailable" | "timeout";

// Codes marked "seen" were provoked against real servers in this project's tests
// (services/shared/test/store-errors-*.test.ts: stopped, restarted, killed sessions, connection
// limits, silent listeners, frozen sockets); the others are the drivers' and servers' documented
// codes for the same situations.
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  // Node sockets, all drivers
  "ECONNREFUSED", // seen: postgres.js and mysql2 on a stopped server
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND", // seen (mysql2, unknown host) while writing this, not in a test
  "ETIMEDOUT", // seen: mysql2's connectTimeout (nothing was sent yet)
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  // postgres.js
  "CONNECTION_CLOSED", // seen: in-flight query at a fast shutdown or pg_terminate_backend
  "CONNECTION_ENDED", // the pool was ended (shutdown)
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT", // seen: connect_timeout elapsed
  // PostgreSQL SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  // (seen: 53300; postgres.js reports a FATAL 57P01 on a busy connection as CONNECTION_CLOSED)
  "57P01",
  "57P02",
  "57P03",
  "53300",
  // PostgreSQL class 08, connection exception (08P01, a protocol violation, is a bug instead)
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  // mysql2 / MariaDB
  "PROTOCOL_CONNECTION_LOST", // seen: in-flight query at shutdown, KILLed connection
  "ER_CON_COUNT_ERROR", // seen: 1040, max_connections
  "ER_USER_LIMIT_REACHED", // seen: 1226, max_user_connections
  "ER_SERVER_SHUTDOWN", // 1053; a query running at shutdown saw its connection lost instead
]);

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  "STORE_DEADLINE", // seen: callStore's own deadline
  "PROTOCOL_SEQUENCE_TIMEOUT", // seen: mysql2's per-query `timeout`
]);

// Errors that carry no code (both seen): mysql2 on a pool after `end()` and on a lost connection.
const UNAVAILABLE_MESSAGES = [
  /^Pool is closed\.$/,
  /^Can't add new command when connection is in closed state$/,
];

/**
 * The store failure behind `error`, looking through its `cause` chain (drizzle's
 * DrizzleQueryError wraps the driver's error) and an AggregateError's `errors` (Node's
 * connection attempts to several addresses); undefined when no link is a connection-level
 * failure, e.g. a constraint violation or a syntax error, which stay the caller's business.
 */
export function storeFailureOf(error: unknown): StoreFailure | undefined {
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length > 0 && seen.size < 20) {
    const link = pending.shift();
    if (!(link instanceof Error) || seen.has(link)) continue;
    seen.add(link);
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string" && TIMEOUT_CODES.has(code)) return "timeout";
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return "unavailable";
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(link.message))) return "unavailable";
    pending.push(link.cause);
    if (link instanceof AggregateError) pending.push(...link.errors);
  }
  return undefined;
}

/**
 * `error` in the service's own words when it is a store failure: DependencyUnavailable
 * ("<store> is unavailable") or DependencyTimeout ("<store> did not answer in time"), with the
 * driver's error as `cause` for the log. Anything else is returned as it is.
 */
export function toStoreError(error: unknown, store: string): unknown {
  switch (storeFailureOf(error)) {
    case "unavailable":
      return new DependencyUnavailable(`${store} is unavailable`, { cause: error });
    case "timeout":
      return new DependencyTimeout(`${store} did not answer in time`, { cause: error });
    default:
      return error;
  }
}

/** A store as its adapters' callers should hear of it. */
export interface StoreGuard {
  /** For messages, e.g. "product database (PostgreSQL)". */
  readonly name: string;
  /** Longest wait for one adapter call; then it fails with DependencyTimeout. */
  readonly deadlineMs: number;
}

/**
 * Runs one store call with `guard`'s deadline and translates its failure with
 * {@link toStoreError}. The deadline matters where the driver has none of its own: a query on a
 * connection whose peer went silent (postgres.js, mysql2 without `timeout`) waits until the OS
 * gives up on the socket, many minutes later. Such a call goes on in the background; its
 * connection stays busy until the network answers again or the OS closes it.
 */
export function callStore<T>(guard: StoreGuard, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const queue = deadlineQueue(guard.deadlineMs);
    const waiting = queue.add((error) => reject(toStoreError(error, guard.name)));
    const settle = (ok: boolean, value: unknown) => {
      if (!queue.take(waiting)) return; // the deadline answered first
      if (ok) resolve(value as T);
      else reject(toStoreError(value, guard.name));
    };
    let work: Promise<T>;
    try {
      work = Promise.resolve(call());
    } catch (error) {
      // a driver that throws before returning a promise is handled like one that rejects
      settle(false, error);
      return;
    }
    work.then(
      (value) => settle(true, value),
      (error) => settle(false, error),
    );
  });
}

/** A call waiting for its store; `expire` is dropped once it is answered. */
type Waiting = { readonly due: number; expire?: (error: Error) => void; next?: Waiting };

/**
 * The calls of one deadline length in the order they started, so the first is always the next to
 * expire: one timer for all of them (armed for the first, re-armed when it fires) instead of a
 * timer and a racing promise per call, which every query's path paid for.
 */
class DeadlineQueue {
  private head: Waiting | undefined;
  private tail: Waiting | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  add(expire: (error: Error) => void): Waiting {
    const waiting: Waiting = { due: performance.now() + this.ms, expire };
    if (this.tail) this.tail.next = waiting;
    else this.head = waiting;
    this.tail = waiting;
    this.timer ??= this.arm(this.ms);
    return waiting;
  }

  /** Claims the call's answer for its store: false when the deadline has already answered. */
  take(waiting: Waiting): boolean {
    if (!waiting.expire) return false;
    waiting.expire = undefined;
    this.dropAnswered();
    return true;
  }

  private dropAnswered(): void {
    while (this.head && !this.head.expire) this.head = this.head.next;
    if (!this.head) this.tail = undefined;
  }

  private readonly expireDue = () => {
    this.timer = undefined;
    const now = performance.now();
    for (let first = this.head; first && first.due <= now; first = first.next) {
      const expire = first.expire;
      first.expire = undefined;
      expire?.(
        Object.assign(new Error(`no answer within ${this.ms} ms`), { code: "STORE_DEADLINE" }),
      );
    }
    this.dropAnswered();
    if (this.head) this.timer = this.arm(this.head.due - now);
  };

  private arm(ms: number): NodeJS.Timeout {
    // Timers count whole milliseconds from the loop's clock: never re-arm for 0 in a busy loop.
    return setTimeout(this.expireDue, Math.max(1, Math.ceil(ms))).unref();
  }
}

const DEADLINES = new Map<number, DeadlineQueue>();

function deadlineQueue(ms: number): DeadlineQueue {
  let queue = DEADLINES.get(ms);
  if (!queue) {
    queue = new DeadlineQueue(ms);
    DEADLINES.set(ms, queue);
  }
  return queue;
}

/**
 * `adapter` (an object of async functions, e.g. a repository) with every method run through
 * {@link callStore}: one place per store where its failures become Unavailable / DeadlineExceeded
 * instead of Internal. Other properties are left out.
 */
export function guardStore<T extends object>(adapter: T, guard: StoreGuard): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(adapter)) {
    if (typeof value !== "function") continue;
    guarded[name] = (...args: unknown[]) => callStore(guard, () => value.apply(adapter, args));
  }
  return guarded as T;
}
