import { defineConfig } from "drizzle-kit";

/**
 * drizzle-kit config of the payment service: `generate` writes versioned SQL into
 * `services/payment/migrations` offline; the service applies them at start-up with
 * `migratePaymentDatabase` (never `push`).
 */
export default defineConfig({
  dialect: "mysql",
  schema: "./services/payment/src/db/schema.ts",
  out: "./services/payment/migrations",
  dbCredentials: {
    host: process.env.DB_HOST ?? "127.0.0.1",
    port: Number(process.env.DB_PORT ?? 3306),
    user: process.env.DB_USER ?? "shop",
    password: process.env.DB_PASSWORD ?? "shop",
    database: process.env.DB_NAME ?? "payment_service",
  },
  strict: true,
  verbose: true,
});
