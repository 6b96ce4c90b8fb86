import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureStores } from "./dev-stores.js";
import { ensureKafka } from "./kafka-broker.js";

/**
 * vitest's global set-up: before any suite runs, the store servers of every service in
 * services/registry.ts are up (started when they are not) with the development login, and a
 * Kafka broker answers on KAFKA_BROKERS (the local one is started when none does, and left
 * running for the next run) with the project's topics, and Debian's Chromium is installed for
 * the browser tests (installed with apt when missing; failing, not skipping, when it cannot be).
 */
export async function setup(): Promise<void> {
  const script = fileURLToPath(new URL("ensure-chromium.sh", import.meta.url));
  execFileSync("bash", [script], { stdio: "inherit" });
  ensureStores("test");
  await ensureKafka(process.env);
}
