/**
 * Creates the project's topics (3 partitions each, plus their `.dlq`) on `KAFKA_BROKERS` unless
 * they exist: the start-up step of compose.yaml's `kafka-topics` and of `npm run kafka:topics`.
 */
import { ensureTopics, PROJECT_TOPICS } from "#shared/kafka/topics";
import { toolKafka } from "./tool-kafka.js";

const { kafka, brokers } = toolKafka("kafka-topics", "warn");
await ensureTopics(kafka);
console.log(`topics ready on ${brokers}: ${PROJECT_TOPICS.join(", ")} (+ .dlq)`);
