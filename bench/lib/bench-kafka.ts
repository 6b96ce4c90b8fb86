import { createKafka } from "#shared/kafka/client";
import { ensureTopics } from "#shared/kafka/topics";
import { createLogger } from "#shared/logger";
import { ensureKafka } from "../../scripts/kafka-broker.js";
import { createPrivateKafka } from "../../scripts/private-kafka.js";

/** The broker a bench run uses. */
export interface BenchKafka {
  /** `KAFKA_BROKERS` of every server. */
  readonly brokers: string;
  /** The broker's process id when the bench runs it, for its CPU column; else it is looked up. */
  readonly pid: number | undefined;
  /** Stops (and deletes) a broker the bench started; leaves any other running. */
  stop(): Promise<void>;
}

/**
 * With `KAFKA_BROKERS` set, that broker (started if nothing answers there, as `npm start` does).
 * Otherwise a broker of the bench's own, on free ports in a temporary folder, with the project's
 * topics: the bench's events stay off the topics `npm start` and the tests use, no other bench's
 * consumers join its groups, and its consumers start with empty topics instead of reading what
 * earlier runs left. It is removed when the bench ends.
 */
export async function benchKafka(log: (line: string) => void): Promise<BenchKafka> {
  const named = process.env.KAFKA_BROKERS;
  if (named) {
    const kafka = await ensureKafka(process.env);
    return { brokers: named, pid: undefined, stop: () => kafka.stop() };
  }
  const own = await createPrivateKafka();
  const brokers = own.brokers.join(",");
  try {
    const ms = await own.start();
    const client = createKafka(
      { brokers: own.brokers, clientId: "bench" },
      createLogger("bench", "warn"),
    );
    await ensureTopics(client);
    log(`kafka: a broker of the bench's own on ${brokers}, up in ${ms} ms`);
    return { brokers, pid: await own.pid(), stop: () => own.remove() };
  } catch (error) {
    await own.remove();
    throw error;
  }
}
