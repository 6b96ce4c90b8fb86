import { loadConfig } from "#shared/config";
import { createKafka, type KafkaClient } from "#shared/kafka/client";
import { kafkaConfigShape } from "#shared/kafka/config";
import { createLogger } from "#shared/logger";

/**
 * The Kafka client of a command-line tool (`npm run topic`, `kafka:topics`, `kafka:replay`):
 * `KAFKA_BROKERS` read and validated as the services read it (a bad value stops the tool with one
 * line naming it), kafkajs logging at `level` under the tool's `name`.
 */
export function toolKafka(name: string, level: string): { kafka: KafkaClient; brokers: string } {
  const { KAFKA_BROKERS } = loadConfig(kafkaConfigShape);
  const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: name }, createLogger(name, level));
  return { kafka, brokers: KAFKA_BROKERS.join(",") };
}
