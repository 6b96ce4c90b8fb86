/**
 * Word for word what drizzle sends for the product service's `repository.get(id)`: the floor and
 * the grpc-js peer run exactly this, so the rows differ only in what serves the read.
 */
export const SELECT_BY_ID =
  'select "id", "name", "description", "price", "stock_quantity", "category", "image_url", ' +
  '"created_at", "updated_at" from "products" where "products"."id" = $1';
