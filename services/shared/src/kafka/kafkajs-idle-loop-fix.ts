/**
 * Stands in for one method of kafkajs 2.2.4: `RequestQueue.scheduleCheckPendingRequests`
 * (src/network/requestQueue/index.js). Upstream re-arms a timer after every response even when
 * nothing waits, with a negative delay that Node turns into 1 ms, so every open connection spins
 * ~1000 wake-ups a second for ever: ~5 % of a core for an idle producer and admin here, plus a
 * TimeoutNegativeWarning on Node ≥ 23 (tulios/kafkajs#1556, #1704, #1751; fixes #1667, #1768
 * unmerged). This version schedules only what upstream needs a timer for: pending requests, or
 * a client-side throttle. Every other path (push, fulfil, timeout) still checks the queue itself.
 *
 * Applied by `createKafka` to kafkajs 2.2.4 only; `KAFKAJS_IDLE_LOOP_FIX=off` leaves kafkajs as is.
 */
import { createRequire } from "node:module";

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for re-checking a queue whose requests wait on in-flight ones. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;
const FIXED_VERSION = "2.2.4";

const require = createRequire(import.meta.url);

function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL,
  );
}

/**
 * Installs the fix once; true when kafkajs now runs it. False when switched off or when the
 * installed kafkajs is not the version this mirrors.
 */
export function applyKafkajsIdleLoopFix(): boolean {
  if (process.env.KAFKAJS_IDLE_LOOP_FIX === "off") return false;
  const { version } = require("kafkajs/package.json") as { version: string };
  if (version !== FIXED_VERSION) return false;
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
    prototype: RequestQueue;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}

/** True when kafkajs's request queues run the fixed scheduling (for the test that proves it). */
export function kafkajsIdleLoopFixActive(): boolean {
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
    prototype: RequestQueue;
  };
  return RequestQueue.prototype.scheduleCheckPendingRequests === scheduleCheckPendingRequests;
}
