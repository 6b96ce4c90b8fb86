import { defineConfig } from "drizzle-kit";

/**
 * drizzle-kit config of the product service: `generate` writes versioned SQL into
 * `services/product/migrations` offline; the service applies them at start-up with
 * `migrateProductDatabase` (never `push`).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./services/product/src/db/schema.ts",
  out: "./services/product/migrations",
  dbCredentials: {
    host: process.env.DB_HOST ?? "127.0.0.1",
    port: Number(process.env.DB_PORT ?? 5432),
    user: process.env.DB_USER ?? "shop",
    password: process.env.DB_PASSWORD ?? "shop",
    database: process.env.DB_NAME ?? "product_service",
    ssl: false,
  },
  strict: true,
  verbose: true,
});
