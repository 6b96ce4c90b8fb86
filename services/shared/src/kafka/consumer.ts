import { setTimeout as delay } from "node:timers/promises";
import type { Batch, EachBatchPayload, KafkaMessage } from "kafkajs";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { KafkaClient } from "./client.js";
import { type CloudEvent, decodeCloudEvent, headerStrings } from "./cloudevents.js";
import { type DeadLetterReason, sendToDeadLetterTopic } from "./dead-letter.js";
import { kafkaMetrics } from "./metrics.js";
import { isRetryable } from "./poison.js";
import { createIdempotentProducer } from "./producer.js";
import { PARTITIONS } from "./topics.js";

/** A received message as a handler sees it, for logging or for what the event does not carry. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: string | undefined;
  /** Broker or producer time, milliseconds since the epoch, as text. */
  readonly timestamp: string;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /**
   * Applies the event; resolves only once its effect is durable. Must be idempotent by event id.
   * Throws a PoisonMessageError (or any error marked `retryable: false`) for a message that no
   * retry can help: it is dead-lettered at once.
   */
  readonly handle: (event: CloudEvent, message: ReceivedMessage) => Promise<void>;
  /**
   * Applies several events of one partition at once (one transaction, one round trip), in the
   * order given; resolves once every effect is durable. Optional: without it every event goes
   * through `handle`. When it rejects, for whatever reason, each of those events goes through
   * `handle` in turn (with its retries and dead-lettering); so a failing batch may leave some
   * effects behind only where applying them again is harmless (idempotent by event id, as
   * `handle` must be).
   */
  readonly handleBatch?: (events: readonly ReceivedEvent[]) => Promise<void>;
  /** Events at most per `handleBatch` call. Default 100. */
  readonly maxBatch?: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Handler attempts per message before it goes to `<topic>.dlq`. Default 10: with the default
   * backoff a store may be away for about a minute before a sound event is dead-lettered.
   */
  readonly maxAttempts?: number;
  /** Wait before retry n: `initialMs · 2^(n−1)`, at most `maxMs`. Default 200 ms, 15 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Where a group without committed offsets starts. Default true: no event is skipped. */
  readonly fromBeginning?: boolean;
  /**
   * How long the broker holds a fetch while no message is there. It answers as soon as one
   * arrives, so this does not delay events; it sets how often an idle consumer asks, and how
   * long `stop()` waits out the fetch in flight. Default DEFAULT_FETCH_WAIT_MS.
   */
  readonly fetchWaitMs?: number;
  /** Partitions handled at the same time (each still in order). Default 3. */
  readonly concurrency?: number;
  /**
   * kafkajs gave up on the running consumer: it crashed on an error kafkajs does not restart
   * after (one the broker calls non-retriable, such as a dead letter too large for its topic, or
   * a TypeError). The consumer has left its group and consumes nothing more; the caller may stop
   * it and start another.
   */
  readonly crashed?: (error: Error) => void;
}

/**
 * 500 ms: an idle consumer fetches twice a second instead of ten times (at 100 ms): its own CPU
 * went from ~15 to ~7 ms per second here, the broker's too, and stopping it takes up to ~0.5 s.
 */
export const DEFAULT_FETCH_WAIT_MS = 500;

/** An event with the message that carried it, as `handleBatch` gets them. */
export interface ReceivedEvent {
  readonly event: CloudEvent;
  readonly message: ReceivedMessage;
}

/** A consumer started by `runConsumer`. */
export interface RunningConsumer {
  /** Lets the in-flight handler finish (its retries are cut short), leaves the group, disconnects. */
  stop(): Promise<void>;
}

type Outcome = "processed" | "dead-lettered" | "abandoned";

/**
 * Joins `groupId` and consumes `topics`, one message at a time per partition, in order, or with
 * `handleBatch` up to `maxBatch` of a partition's fetched messages at a time. The
 * offset is committed only after `handle` resolved (once per fetched batch, after its last
 * handled message), so a crash redelivers rather than loses. A
 * failing handler is retried with backoff `maxAttempts` times; then the message goes to
 * `<topic>.dlq` (headers kept, `dlq_*` added) and its offset is committed, so a poison message
 * never blocks its partition. A message that is not a CloudEvent, or whose handler threw a
 * PoisonMessageError, goes there at once. Resolves once the consumer has joined its group; if it
 * cannot join (broker unreachable, topic missing), rejects with nothing left connected.
 */
export async function runConsumer(
  kafka: KafkaClient,
  options: ConsumerOptions,
): Promise<RunningConsumer> {
  const deadLetters = createIdempotentProducer(kafka);
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxWaitTimeInMs: options.fetchWaitMs ?? DEFAULT_FETCH_WAIT_MS,
  });
  const stopping = new AbortController();
  const processOne = createMessageProcessor(options, deadLetters, stopping.signal);
  const processTogether = createBatchProcessor(options);
  const maxBatch = options.handleBatch ? Math.max(1, options.maxBatch ?? 100) : 1;
  const { lag, processed } = kafkaMetrics(options.metrics.registry);
  const group = options.groupId;

  // One offset commit per batch, after every handled message of it: an OffsetCommit per message
  // was a broker round trip each. A crash before the commit redelivers the batch's handled
  // messages, which handlers deduplicate by event id anyway. Offsets are resolved only once the
  // commit succeeded: a failed commit (the broker just back) leaves the batch to be fetched, and
  // committed, again instead of resolved locally and never committed.
  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    let last: string | undefined;
    let handled = 0;
    try {
      for (let start = 0; start < batch.messages.length; start += maxBatch) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(start, start + maxBatch);
        if (await processTogether(batch, chunk)) {
          last = chunk.at(-1)?.offset;
          handled += chunk.length;
          await payload.heartbeat();
          continue;
        }
        for (const message of chunk) {
          if (!isRunning() || isStale()) return;
          const outcome = await processOne(batch, message, payload.heartbeat);
          if (outcome === "abandoned") return;
          last = message.offset;
          if (outcome === "processed") handled++;
          await payload.heartbeat();
        }
      }
    } finally {
      if (last !== undefined) {
        const next = (BigInt(last) + 1n).toString();
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: next }] }],
        });
        payload.resolveOffset(last);
        lag.set({ topic, partition, group }, Number(BigInt(batch.highWatermark) - BigInt(next)));
        if (handled > 0) processed.inc({ topic, group }, handled);
      }
    }
  };

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.crashed?.(payload.error);
  });
  try {
    await deadLetters.connect();
    await consumer.connect();
    await consumer.subscribe({
      topics: [...options.topics],
      fromBeginning: options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency ?? PARTITIONS,
      eachBatch,
    });
  } catch (error) {
    await Promise.allSettled([consumer.disconnect(), deadLetters.disconnect()]);
    throw error;
  }
  return {
    async stop() {
      stopping.abort();
      await consumer.disconnect();
      await deadLetters.disconnect();
    },
  };
}

/**
 * Hands `messages` (two or more, all CloudEvents) to `handleBatch` at once; true once it
 * resolved. False, having done nothing else, when there is no `handleBatch`, when a message is
 * no CloudEvent, or when `handleBatch` rejected: the caller then takes them one by one.
 */
function createBatchProcessor(options: ConsumerOptions) {
  const { handleBatch, logger, groupId: group } = options;
  return async (batch: Batch, messages: readonly KafkaMessage[]): Promise<boolean> => {
    if (!handleBatch || messages.length < 2) return false;
    const events: ReceivedEvent[] = [];
    for (const message of messages) {
      let event: CloudEvent;
      try {
        event = decodeCloudEvent(message);
      } catch {
        return false;
      }
      events.push({ event, message: toReceivedMessage(batch, message) });
    }
    try {
      await handleBatch(events);
      return true;
    } catch (error) {
      const { topic, partition } = batch;
      const size = events.length;
      logger.debug({ err: error, topic, partition, group, size }, "kafka batch failed; one by one");
      return false;
    }
  };
}

/** Decode, handle with bounded retries, or dead-letter: what happens to one message. */
function createMessageProcessor(
  options: ConsumerOptions,
  deadLetters: ReturnType<typeof createIdempotentProducer>,
  stopping: AbortSignal,
) {
  const { handlerFailures, deadLettered } = kafkaMetrics(options.metrics.registry);
  const maxAttempts = options.maxAttempts ?? 10;
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 200, maxMs: 15_000 };
  const group = options.groupId;

  const deadLetter = async (
    batch: Batch,
    message: KafkaMessage,
    reason: DeadLetterReason,
    error: unknown,
    attempts: number,
  ): Promise<Outcome> => {
    const { topic, partition } = batch;
    await sendToDeadLetterTopic(deadLetters, message, {
      topic,
      partition,
      group,
      reason,
      error,
      attempts,
    });
    deadLettered.inc({ topic, group, reason });
    options.logger.error(
      { err: error, topic, partition, offset: message.offset, group, reason, attempts },
      "kafka message sent to its dead-letter topic",
    );
    return "dead-lettered";
  };

  return async (
    batch: Batch,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome> => {
    let event: CloudEvent;
    try {
      event = decodeCloudEvent(message);
    } catch (error) {
      return deadLetter(batch, message, "undecodable", error, 0);
    }
    const received = toReceivedMessage(batch, message);
    for (let attempt = 1; ; attempt++) {
      try {
        await options.handle(event, received);
        return "processed";
      } catch (error) {
        handlerFailures.inc({ topic: batch.topic, group });
        if (!isRetryable(error)) return deadLetter(batch, message, "rejected", error, attempt);
        if (attempt >= maxAttempts) return deadLetter(batch, message, "handler", error, attempt);
        const { topic, partition } = batch;
        options.logger.warn(
          { err: error, topic, partition, offset: message.offset, group, attempt },
          "kafka handler failed; retrying",
        );
        const waitMs = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
        const waited = await delay(waitMs, true, { signal: stopping }).catch(() => false);
        if (!waited) return "abandoned";
        // Retries may outlast the session timeout: stay in the group meanwhile.
        await heartbeat();
      }
    }
  };
}

/** The handler's view of a message of `topic` and `partition`. */
export function toReceivedMessage(
  { topic, partition }: { topic: string; partition: number },
  message: KafkaMessage,
): ReceivedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString(),
    headers: headerStrings(message.headers),
    value: message.value?.toString(),
    timestamp: message.timestamp,
  };
}
