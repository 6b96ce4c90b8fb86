import { defineConfig } from "vitest/config";

/**
 * The suite runs against the real PostgreSQL, Redis and Kafka of the machine
 * (`scripts/ensure-stores.sh` and `scripts/kafka.sh start` start them). Tests use their own
 * databases, topics and consumer groups, so they never touch the data of `npm start`.
 */
export default defineConfig({
  // `#shared/…` and `#gen/…` (package.json "imports") resolve to the TypeScript sources here.
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["services/**/*.test.ts", "gateway/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      DB_HOST: process.env.DB_HOST ?? "127.0.0.1",
      DB_PORT: process.env.DB_PORT ?? "5432",
      DB_USER: process.env.DB_USER ?? "shop",
      DB_PASSWORD: process.env.DB_PASSWORD ?? "shop",
      DB_NAME: process.env.TEST_DB_NAME ?? "product_service_test",
      REDIS_HOST: process.env.REDIS_HOST ?? "127.0.0.1",
      REDIS_PORT: process.env.REDIS_PORT ?? "6379",
      REDIS_DB: process.env.TEST_REDIS_DB ?? "15",
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "localhost:9092",
      LOG_LEVEL: "silent",
    },
  },
});
