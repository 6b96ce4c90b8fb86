import postgres from "postgres";

/**
 * Word for word what drizzle sends for the product service's `repository.get(id)`: the floor and
 * the grpc-js peer run exactly this, so the rows differ only in what serves the read.
 */
export const SELECT_BY_ID =
  'select "id", "name", "description", "price", "stock_quantity", "category", "image_url", ' +
  '"created_at", "updated_at" from "products" where "products"."id" = $1';

/**
 * The pool the floor and the grpc-js peer read with: the product service's pool size and
 * prepared statements, on the bench database named by `DB_*`.
 */
export function connectBenchProducts(env: NodeJS.ProcessEnv) {
  return postgres({
    host: env.DB_HOST ?? "127.0.0.1",
    port: Number(env.DB_PORT ?? 5432),
    user: env.DB_USER ?? "shop",
    password: env.DB_PASSWORD ?? "",
    database: env.DB_NAME ?? "product_service_bench",
    max: Number(env.DB_POOL_MAX ?? 10),
    prepare: true,
    onnotice: () => {},
  });
}
