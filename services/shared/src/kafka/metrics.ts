import { Counter, Gauge, type Registry } from "prom-client";

/** Kafka metrics of one process; every consumer and producer in it shares one set. */
export interface KafkaMetrics {
  readonly processed: Counter<"topic" | "group">;
  readonly handlerFailures: Counter<"topic" | "group">;
  readonly deadLettered: Counter<"topic" | "group" | "reason">;
  readonly lag: Gauge<"topic" | "partition" | "group">;
  readonly published: Counter<"topic">;
  readonly crashes: Counter<"group">;
}

const created = new WeakMap<Registry, KafkaMetrics>();

/**
 * The Kafka metrics on `registry` (the process's, from `createMetrics`), created on first use so
 * processes without Kafka show none. Labels are bounded: topic, partition and group names.
 */
export function kafkaMetrics(registry: Registry, prefix = "shop_"): KafkaMetrics {
  const existing = created.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: KafkaMetrics = {
    processed: new Counter({
      name: `${prefix}kafka_messages_processed_total`,
      help: "Messages whose handler succeeded and whose offset was committed, by topic and group.",
      labelNames: ["topic", "group"],
      registers,
    }),
    handlerFailures: new Counter({
      name: `${prefix}kafka_handler_failures_total`,
      help: "Handler attempts that failed (each retry counts), by topic and group.",
      labelNames: ["topic", "group"],
      registers,
    }),
    deadLettered: new Counter({
      name: `${prefix}kafka_messages_dead_lettered_total`,
      help: "Messages sent to <topic>.dlq, by topic, group and reason (handler | rejected | undecodable).",
      labelNames: ["topic", "group", "reason"],
      registers,
    }),
    lag: new Gauge({
      name: `${prefix}kafka_consumer_lag`,
      help: "High watermark minus the next offset to process, per topic partition and group.",
      labelNames: ["topic", "partition", "group"],
      registers,
    }),
    published: new Counter({
      name: `${prefix}kafka_messages_published_total`,
      help: "Messages the broker acknowledged from this process's event producers, by topic.",
      labelNames: ["topic"],
      registers,
    }),
    crashes: new Counter({
      name: `${prefix}kafka_consumer_crashes_total`,
      help: "Consumers kafkajs gave up on (a crash it does not restart from) and a new one replaced, by group.",
      labelNames: ["group"],
      registers,
    }),
  };
  created.set(registry, metrics);
  return metrics;
}
