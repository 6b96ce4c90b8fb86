import { setTimeout as delay } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import type { KafkaConnection } from "./client.js";
import { applyKafkajsIdleLoopFix } from "./kafkajs-idle-loop-fix.js";

/**
 * For /ready: true when a broker of `connection` answers a metadata request within
 * `timeoutMs`. A real request, not a TCP connect, so a frozen broker (which still accepts
 * connections) counts as unreachable. Uses its own short-lived client with no retries; never
 * throws.
 */
export async function kafkaReachable(
  connection: KafkaConnection,
  timeoutMs = 1500,
): Promise<boolean> {
  applyKafkajsIdleLoopFix();
  const admin = new Kafka({
    clientId: `${connection.clientId}-probe`,
    brokers: [...connection.brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  const probe = admin.connect().then(() => admin.describeCluster());
  const timedOut = delay(timeoutMs, "timeout" as const, { ref: false });
  try {
    const answer = await Promise.race([probe, timedOut]);
    return answer !== "timeout" && answer.brokers.length > 0;
  } catch {
    return false;
  } finally {
    // Not awaited: against a frozen broker the disconnect itself would wait.
    admin.disconnect().catch(() => {});
    probe.catch(() => {});
  }
}
