import { ensureStores } from "./dev-stores.js";
import { ensureKafka } from "./kafka-broker.js";

/**
 * vitest's global set-up: before any suite runs, the store servers of every service in
 * services/registry.ts are up (started when they are not) with the development login, and a
 * Kafka broker answers on KAFKA_BROKERS (the local one is started when none does, and left
 * running for the next run) with the project's topics.
 */
export async function setup(): Promise<void> {
  ensureStores("test");
  await ensureKafka(process.env);
}
