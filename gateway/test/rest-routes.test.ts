import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { send, startGateway, type TestGateway } from "./support/harness.js";

let gateway: TestGateway;
beforeEach(async () => {
  gateway = await startGateway();
});
afterEach(() => gateway.close());

const json = (text: unknown) => JSON.stringify(text);

describe("product routes", () => {
  it("GET /products/{id} answers the product itself (response_body), int64 as a string", async () => {
    const reply = await send(gateway.port, "GET", "/products/1");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.json).toEqual({
      id: "1",
      name: "Tea",
      description: "",
      price: "4.50",
      stockQuantity: 10,
      category: "books",
      imageUrl: "",
      createdAt: "2026-01-02T03:04:05Z",
      updatedAt: "2026-01-02T03:04:05Z",
    });
  });

  it("POST /products creates with 201 and returns the product", async () => {
    const reply = await send(
      gateway.port,
      "POST",
      "/products",
      json({ name: "Mug", price: "7.00", stock_quantity: 3 }),
    );
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ id: "2", name: "Mug", price: "7.00", stockQuantity: 3 });
  });

  it("GET /products converts query parameters to the field types", async () => {
    const path =
      "/products?page_size=10&category=books&min_price=1.50&maxStock=5&query=green+tea%21";
    const reply = await send(gateway.port, "GET", path);
    expect(reply.status).toBe(200);
    expect(gateway.calls.at(-1)?.request).toMatchObject({
      pageSize: 10,
      category: "books",
      minPrice: "1.50",
      maxStock: 5,
      query: "green tea!",
    });
  });

  it("GET /products lists as [] when empty, never null or missing", async () => {
    const reply = await send(gateway.port, "GET", "/products?category=none");
    expect(reply.json).toEqual({ products: [], nextPageToken: "" });
  });

  it("PUT /products/{id}: the path id wins over the body's", async () => {
    const reply = await send(
      gateway.port,
      "PUT",
      "/products/1",
      json({ id: "99", name: "Green tea" }),
    );
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ id: "1", name: "Green tea" });
  });

  it("DELETE /products/{id} answers 200 with {} and then 404", async () => {
    expect(await send(gateway.port, "DELETE", "/products/1")).toMatchObject({
      status: 200,
      json: {},
    });
    const again = await send(gateway.port, "DELETE", "/products/1");
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ code: "not_found", message: "product 1 not found", details: [] });
  });

  it("GET /categories answers an empty list as []", async () => {
    expect((await send(gateway.port, "GET", "/categories")).json).toEqual({ categories: [] });
  });
});

describe("basket routes", () => {
  it("walks through all seven paths", async () => {
    const created = await send(gateway.port, "POST", "/baskets", json({ user_id: "ann" }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ userId: "ann", items: [], total: "0.00" });

    const added = await send(
      gateway.port,
      "POST",
      "/baskets/ann/items",
      json({ productId: 7, quantity: 2 }),
    );
    expect(added.status).toBe(200);
    expect(added.json).toMatchObject({ items: [{ productId: "7", quantity: 2, price: "2.00" }] });

    const updated = await send(gateway.port, "PUT", "/baskets/ann/items/7", json({ quantity: 5 }));
    expect(updated.json).toMatchObject({ items: [{ productId: "7", quantity: 5 }] });
    expect((await send(gateway.port, "GET", "/baskets/ann")).json).toMatchObject({ userId: "ann" });

    const removed = await send(gateway.port, "DELETE", "/baskets/ann/items/7");
    expect(removed.json).toMatchObject({ items: [] });
    expect((await send(gateway.port, "DELETE", "/baskets/ann/items")).json).toMatchObject({
      items: [],
    });
    expect(await send(gateway.port, "DELETE", "/baskets/ann")).toMatchObject({
      status: 200,
      json: {},
    });
    expect((await send(gateway.port, "GET", "/baskets/ann")).status).toBe(404);
  });

  it("percent-decodes a path variable", async () => {
    await send(gateway.port, "GET", "/baskets/ann%20lee%2Fx");
    expect(gateway.calls.at(-1)?.request).toMatchObject({ userId: "ann lee/x" });
  });

  it("passes an upstream InvalidArgument through as 400 with its message", async () => {
    const reply = await send(
      gateway.port,
      "POST",
      "/baskets/ann/items",
      json({ productId: "7", quantity: 0 }),
    );
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      code: "invalid_argument",
      message: "quantity: must be at least 1",
      details: [],
    });
  });
});
