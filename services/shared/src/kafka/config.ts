import { z } from "zod";

/**
 * The Kafka piece of a service's environment (SPEC §2): spread it into the service's config
 * shape, `{ ...kafkaConfigShape, GRPC_PORT: port(50052), … }`, and pass `config.KAFKA_BROKERS`
 * to `createKafka`.
 */
export const kafkaConfigShape = {
  /** Bootstrap brokers, comma-separated `host:port`; parsed to a list. */
  KAFKA_BROKERS: kafkaBrokers("localhost:9092"),
};

/**
 * `kafkaConfigShape` for a service that consumes: `KAFKA_GROUP_PREFIX` (default empty) goes in
 * front of every consumer group id, so a second copy of the services on the same broker (the
 * bench beside `npm start`) consumes in groups of its own instead of splitting the partitions.
 */
export const kafkaConsumerConfigShape = {
  ...kafkaConfigShape,
  KAFKA_GROUP_PREFIX: z.string().trim().default(""),
};

/** One or more `host:port` broker addresses, comma-separated, with a default. */
export function kafkaBrokers(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const brokers = text.split(",").map((part) => part.trim());
      const bad = brokers.find((broker) => !isHostPort(broker));
      if (bad !== undefined) {
        ctx.addIssue({ code: "custom", message: `"${bad}" is not host:port` });
        return z.NEVER;
      }
      return brokers;
    });
}

function isHostPort(text: string): boolean {
  const match = /^([^\s:/]+|\[[0-9a-f:]+\]):(\d{1,5})$/i.exec(text);
  const port = Number(match?.[2]);
  return match !== null && port >= 1 && port <= 65535;
}
