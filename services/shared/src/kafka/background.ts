import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { KafkaClient } from "./client.js";
import { type ConsumerOptions, type RunningConsumer, runConsumer } from "./consumer.js";
import { kafkaMetrics } from "./metrics.js";

/** A consumer started by `consumeInBackground`. */
export interface BackgroundConsumer extends RunningConsumer {
  /** Resolves once the consumer has joined its group, or once it was stopped before; never rejects. */
  readonly started: Promise<void>;
}

export interface BackgroundConsumerOptions extends ConsumerOptions {
  /** Pause between attempts to start while Kafka is unreachable. Default 5 s. */
  readonly retryMs?: number;
}

/**
 * `runConsumer` for a service whose API works without Kafka: returns at once and starts the
 * consumer in the background, trying again every `retryMs` while the broker is unreachable or
 * the topics do not exist yet, so the service starts and serves anyway (events wait in Kafka).
 * Once the consumer runs, kafkajs itself reconnects after an outage; after a crash kafkajs does
 * not restart from, this starts a new consumer `retryMs` later (counted in
 * `shop_kafka_consumer_crashes_total`), so events are never left unconsumed while the service
 * runs. `stop()` cancels a pending start or stops the running consumer as
 * `RunningConsumer.stop()` does.
 */
export function consumeInBackground(
  kafka: KafkaClient,
  options: BackgroundConsumerOptions,
): BackgroundConsumer {
  const { logger, groupId: group, topics } = options;
  const retryMs = options.retryMs ?? 5000;
  const stopping = new AbortController();
  const pause = () => delay(retryMs, undefined, { signal: stopping.signal }).catch(() => {});

  const crashed = (error: Error) => {
    kafkaMetrics(options.metrics.registry).crashes.inc({ group });
    logger.error({ err: error, group, topics }, "kafka consumer crashed; starting a new one");
    const dead = running;
    running = (async () => {
      await (await dead)?.stop().catch(() => {});
      await pause();
      return start();
    })();
  };

  async function start(): Promise<RunningConsumer | undefined> {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      try {
        const consumer = await runConsumer(kafka, { ...options, crashed });
        logger.info({ group, topics }, "kafka consumer running");
        return consumer;
      } catch (error) {
        logger.warn({ err: error, group, topics, attempt }, "kafka consumer could not start");
        await pause();
      }
    }
    return undefined;
  }

  let running = start();
  return {
    started: running.then(() => {}),
    async stop() {
      stopping.abort();
      // A crash while stopping replaces `running`: wait for whichever is the last.
      for (let last: unknown; last !== running; ) {
        last = running;
        await (await running)?.stop();
      }
    },
  };
}

/**
 * What a service's main.ts (and its tests) give one of its consumers: the client, the service's
 * logger and metrics (so the Kafka counters and lag show on its /metrics), and overrides that
 * tests use — their own topic and group, short retries. The service keeps the defaults.
 */
export type ServiceConsumerDeps = {
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly topic?: string;
  /** Put in front of the default group id (`KAFKA_GROUP_PREFIX`); ignored when `groupId` is set. */
  readonly groupPrefix?: string;
} & Partial<Pick<BackgroundConsumerOptions, "groupId" | "maxAttempts" | "backoff" | "retryMs">>;

/**
 * `consumeInBackground` of one topic, `defaults` unless `deps` names another topic or group; the
 * default group gets `deps.groupPrefix` in front. `handleBatch`, when given, takes runs of a
 * partition's events at once (see `ConsumerOptions.handleBatch`).
 */
export function consumeTopicInBackground(
  deps: ServiceConsumerDeps,
  defaults: { readonly topic: string; readonly groupId: string },
  handle: ConsumerOptions["handle"],
  handleBatch?: ConsumerOptions["handleBatch"],
): BackgroundConsumer {
  const { kafka, logger, metrics, maxAttempts, backoff, retryMs } = deps;
  return consumeInBackground(kafka, {
    groupId: deps.groupId ?? `${deps.groupPrefix ?? ""}${defaults.groupId}`,
    topics: [deps.topic ?? defaults.topic],
    handle,
    handleBatch,
    logger,
    metrics,
    maxAttempts,
    backoff,
    retryMs,
  });
}
