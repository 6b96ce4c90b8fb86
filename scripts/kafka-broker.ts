import { execFileSync } from "node:child_process";
import net from "node:net";
import { createKafka } from "#shared/kafka/client";
import { kafkaBrokers } from "#shared/kafka/config";
import { ensureTopics } from "#shared/kafka/topics";
import { createLogger } from "#shared/logger";
import { scriptFile } from "./dev-stores.js";

// Run from dist/scripts/ by npm start and from scripts/ by the test set-up.
const kafkaScript = scriptFile("kafka.sh");

/**
 * `npm start`'s Kafka: makes sure a broker answers on `env.KAFKA_BROKERS` and the project's
 * topics exist. When nothing answers, `scripts/kafka.sh start` runs the local broker, and
 * `stop()` stops it again; a broker that already answered is used and left running.
 */
export async function ensureKafka(env: NodeJS.ProcessEnv): Promise<{ stop(): Promise<void> }> {
  const brokers = kafkaBrokers("localhost:9092").parse(env.KAFKA_BROKERS);
  const answered = (await Promise.all(brokers.map(answers))).some(Boolean);
  if (!answered) execFileSync("bash", [kafkaScript, "start"], { stdio: "inherit", env });
  await ensureTopics(
    createKafka({ brokers, clientId: "npm-start" }, createLogger("start", "warn")),
  );
  return {
    async stop() {
      if (!answered) execFileSync("bash", [kafkaScript, "stop"], { stdio: "inherit", env });
    },
  };
}

function answers(broker: string): Promise<boolean> {
  const at = broker.lastIndexOf(":");
  const socket = net.connect({ host: broker.slice(0, at), port: Number(broker.slice(at + 1)) });
  socket.setTimeout(1000);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(true));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => resolve(false));
  }).finally(() => socket.destroy()) as Promise<boolean>;
}
