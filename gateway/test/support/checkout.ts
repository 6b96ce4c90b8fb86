import { randomUUID } from "node:crypto";
import type { System } from "./system.js";

/** A basket line to set up: a fresh product at `price` with `stock` units, `quantity` of them. */
export type LineSpec = {
  readonly price: string;
  readonly stock: number;
  readonly quantity: number;
};

/** POST /products; resolves with the new product's id. */
export async function createProduct(
  system: System,
  fields: { price: string; stock: number; name?: string },
): Promise<string> {
  const created = await system.as("shop-admin", { admin: true }).rest("POST", "/products", {
    name: fields.name ?? `System ${randomUUID().slice(0, 8)}`,
    price: fields.price,
    stock_quantity: fields.stock,
    category: "system-test",
  });
  if (created.status !== 201) throw new Error(`POST /products: ${JSON.stringify(created)}`);
  return created.json.id as string;
}

/** A fresh user whose basket holds one line per spec, each of a fresh product. */
export async function userWithBasket(system: System, lines: readonly LineSpec[]) {
  const userId = `system-${randomUUID()}`;
  const items: { productId: string; quantity: number; stock: number }[] = [];
  for (const line of lines) {
    const productId = await createProduct(system, line);
    await addToBasket(system, userId, productId, line.quantity);
    items.push({ productId, quantity: line.quantity, stock: line.stock });
  }
  return { userId, items };
}

/** POST /baskets/{user}/items; throws unless 200. */
export async function addToBasket(
  system: System,
  userId: string,
  productId: string,
  quantity: number,
): Promise<void> {
  const added = await system.as(userId).rest("POST", `/baskets/${userId}/items`, {
    product_id: productId,
    quantity,
  });
  if (added.status !== 200) throw new Error(`add to basket: ${JSON.stringify(added)}`);
}

/** GET /products/{id}: its stock_quantity. */
export async function stockOf(system: System, productId: string): Promise<number> {
  const { status, json } = await system.rest("GET", `/products/${productId}`);
  if (status !== 200) throw new Error(`GET /products/${productId}: ${status}`);
  return json.stockQuantity as number;
}

/** GET /baskets/{user}: its lines as `productId × quantity`. */
export async function basketLines(system: System, userId: string): Promise<string[]> {
  const { json } = await system.as(userId).rest("GET", `/baskets/${userId}`);
  return (json.items as { productId: string; quantity: number }[]).map(
    (item) => `${item.productId}×${item.quantity}`,
  );
}

/** POST /payments then POST /payments/{id}/process with `token`; both answers. */
export async function checkout(system: System, userId: string, token = "tok_visa") {
  const created = await system
    .as(userId)
    .rest(
      "POST",
      "/payments",
      { user_id: userId, method: "card" },
      { "idempotency-key": `checkout-${userId}` },
    );
  if (created.status !== 201) return { created, processed: undefined };
  const processed = await system.as(userId).rest("POST", `/payments/${created.json.id}/process`, {
    payment_token: token,
  });
  return { created, processed };
}
