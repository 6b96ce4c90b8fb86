/**
 * The one place that builds a kafkajs client. kafkajs 2.2.4 is in maintenance mode
 * (tulios/kafkajs#1603): services reach Kafka only through the functions in this folder
 * (`#shared/kafka/…`), never through `kafkajs` itself, so a maintained client can replace it
 * here without touching them.
 */
import { Kafka, logLevel, type RetryOptions } from "kafkajs";
import type { Logger } from "../logger.js";
import { applyKafkajsIdleLoopFix } from "./kafkajs-idle-loop-fix.js";

/** A connected-on-demand Kafka client; pass it to `ensureTopics`, `runConsumer`, and friends. */
export type KafkaClient = Kafka;

export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** Names this process in broker logs and quotas, e.g. the service name. */
  readonly clientId: string;
}

/**
 * Short first retry: back-to-back transactions and a freshly started broker's "coordinator
 * loading" answers then cost ~30 ms instead of ~300 ms each (KNOWN-GROUND §Kafka). Eight
 * doublings capped at 2 s give up after ~6 s, so a caller with its own retry loop (the outbox
 * relay) sees an unreachable broker quickly.
 */
export const DEFAULT_RETRY: RetryOptions = { initialRetryTime: 30, maxRetryTime: 2000, retries: 8 };

/**
 * kafkajs warns about every idempotent producer whose retries are bounded. Ours are on purpose:
 * a send that gives up lets the outbox relay back off and send again (with a fresh producer, see
 * `createEventProducer`); at worst an event arrives twice, and consumers deduplicate by event id.
 */
const BOUNDED_RETRIES_WARNING =
  "Limiting retries for the idempotent producer may invalidate EoS guarantees";

/** A client for `connection`; kafkajs's own log lines go to `logger` (child `component: kafka`). */
export function createKafka(
  connection: KafkaConnection,
  logger: Logger,
  options: { retry?: RetryOptions; connectionTimeoutMs?: number; requestTimeoutMs?: number } = {},
): KafkaClient {
  applyKafkajsIdleLoopFix();
  return new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    retry: options.retry ?? DEFAULT_RETRY,
    connectionTimeout: options.connectionTimeoutMs ?? 1000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: logger.isLevelEnabled("debug") ? logLevel.DEBUG : logLevel.INFO,
    logCreator: () => {
      const log = logger.child({ component: "kafka" });
      return ({ namespace, level, log: { message, ...extra } }) => {
        const fields = { namespace, ...extra };
        if (message === BOUNDED_RETRIES_WARNING) log.debug(fields, message);
        else if (level === logLevel.ERROR) log.error(fields, message);
        else if (level === logLevel.WARN) log.warn(fields, message);
        else if (level === logLevel.INFO) log.info(fields, message);
        else log.debug(fields, message);
      };
    },
  });
}
