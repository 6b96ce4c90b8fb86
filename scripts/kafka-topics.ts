/**
 * Creates the project's topics (3 partitions each, plus their `.dlq`) on `KAFKA_BROKERS` unless
 * they exist: the start-up step of compose.yaml's `kafka-topics` and of `npm run kafka:topics`.
 */
import { loadConfig } from "#shared/config";
import { createKafka } from "#shared/kafka/client";
import { kafkaConfigShape } from "#shared/kafka/config";
import { ensureTopics, PROJECT_TOPICS } from "#shared/kafka/topics";
import { createLogger } from "#shared/logger";

const config = loadConfig(kafkaConfigShape);
const logger = createLogger("kafka-topics", "warn");
await ensureTopics(
  createKafka({ brokers: config.KAFKA_BROKERS, clientId: "kafka-topics" }, logger),
);
console.log(
  `topics ready on ${config.KAFKA_BROKERS.join(",")}: ${PROJECT_TOPICS.join(", ")} (+ .dlq)`,
);
