import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { balanceTransports } from "#shared/rpc/client";
import { createGrpcUpstream, createTransportUpstream } from "../src/upstream.js";
import { send, startGateway, type TestGateway } from "./support/harness.js";

let gateway: TestGateway;
beforeEach(async () => {
  gateway = await startGateway();
});
afterEach(() => gateway.close());

const json = (text: unknown) => JSON.stringify(text);

describe("errors and protocol", () => {
  it("answers an unknown path with 404 not_found", async () => {
    const reply = await send(gateway.port, "GET", "/nowhere");
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ code: "not_found", details: [] });
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const reply = await send(gateway.port, "PATCH", "/products/1");
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("DELETE, GET, PUT");
    expect(reply.json).toMatchObject({ code: "unimplemented" });
    expect((await send(gateway.port, "POST", "/health")).headers.allow).toBe("GET");
  });

  it("answers a bad path variable with 400 naming it", async () => {
    const reply = await send(gateway.port, "GET", "/products/abc");
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining('"id"'),
    });
  });

  it("answers a bad query value with 400 naming the parameter", async () => {
    const reply = await send(gateway.port, "GET", "/products?page_size=ten");
    expect(reply.status).toBe(400);
    expect((reply.json as { message: string }).message).toContain('"page_size"');
  });

  it("answers malformed JSON, wrong types and unknown fields with 400", async () => {
    for (const body of [
      "{",
      "[1,2]",
      json({ name: 5 }),
      json({ colour: "red" }),
      json({ stockQuantity: 1.5 }),
    ]) {
      const reply = await send(gateway.port, "POST", "/products", body);
      expect(reply.status, body).toBe(400);
      expect(reply.json, body).toMatchObject({ code: "invalid_argument" });
    }
  });

  it("answers a body over MAX_BODY_BYTES with 413 resource_exhausted", async () => {
    const small = await startGateway({ options: { maxBodyBytes: 64 } });
    try {
      const reply = await send(small.port, "POST", "/products", json({ name: "x".repeat(100) }));
      expect(reply.status).toBe(413);
      expect(reply.json).toMatchObject({ code: "resource_exhausted" });
    } finally {
      await small.close();
    }
  });

  it("answers a non-JSON Content-Type with 415 invalid_argument", async () => {
    const reply = await send(gateway.port, "POST", "/products", "name=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(reply.status).toBe(415);
    expect(reply.json).toMatchObject({ code: "invalid_argument" });
  });

  it("echoes X-Request-Id and sends it upstream with a deadline", async () => {
    const reply = await send(gateway.port, "GET", "/products/1", undefined, {
      "x-request-id": "req-123",
    });
    expect(reply.headers["x-request-id"]).toBe("req-123");
    expect(gateway.calls.at(-1)).toMatchObject({
      requestId: "req-123",
      timeoutMs: expect.any(Number),
    });
  });

  it("generates a request id when none (or a malformed one) is sent", async () => {
    const reply = await send(gateway.port, "GET", "/products/1", undefined, {
      "x-request-id": "a b",
    });
    expect(reply.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(gateway.calls.at(-1)?.requestId).toBe(reply.headers["x-request-id"]);
  });

  it("answers 503 unavailable when the upstream cannot be reached", async () => {
    const down = await startGateway({
      upstreams: {
        product: createGrpcUpstream(["http://127.0.0.1:1"], {
          timeoutMs: 2000,
          name: "product service",
        }),
      },
    });
    try {
      const reply = await send(down.port, "GET", "/products/1");
      expect(reply.status).toBe(503);
      // The client learns which service is down, not where it lives.
      expect(reply.json).toEqual({
        code: "unavailable",
        message: "product service is unavailable",
        details: [],
      });
    } finally {
      await down.close();
    }
  });

  it("answers 504 deadline_exceeded when the upstream is too slow", async () => {
    const never = new Promise<never>(() => {});
    const slow = createRouterTransport(({ service }) => {
      service(ProductService, { getProduct: () => never });
    });
    const stuck = await startGateway({
      upstreams: {
        product: createTransportUpstream(slow, { timeoutMs: 20, name: "product service" }),
      },
    });
    try {
      const reply = await send(stuck.port, "GET", "/products/1");
      expect(reply.status).toBe(504);
      expect(reply.json).toMatchObject({
        code: "deadline_exceeded",
        message: "product service did not answer in time",
      });
    } finally {
      await stuck.close();
    }
  });

  it.each([
    ["Internal", Code.Internal],
    ["Unknown", Code.Unknown],
  ])("answers 500 internal error, not the upstream's words, for its %s", async (_, code) => {
    const broken = createRouterTransport(({ service }) => {
      service(ProductService, {
        getProduct() {
          throw new ConnectError("protocol error: disk on fire at 10.0.0.7", code);
        },
      });
    });
    const failing = await startGateway({
      upstreams: { product: createTransportUpstream(broken, { timeoutMs: 1000 }) },
    });
    try {
      const reply = await send(failing.port, "GET", "/products/1");
      expect(reply.status).toBe(500);
      expect(reply.json).toEqual({ code: "internal", message: "internal error", details: [] });
    } finally {
      await failing.close();
    }
  });

  it("serves /health, /metrics with route-template labels, and /openapi.json", async () => {
    expect((await send(gateway.port, "GET", "/health")).json).toEqual({ status: "ok" });
    await send(gateway.port, "GET", "/products/1");
    const metrics = await send(gateway.port, "GET", "/metrics");
    expect(metrics.text).toContain('service="gateway",method="GET /products/{id}",code="200"');
    expect((await send(gateway.port, "GET", "/openapi.json")).json).toMatchObject({
      openapi: "3.1.0",
    });
  });

  it("round-robins over instances", async () => {
    const seen: string[] = [];
    const instance = (name: string) =>
      createRouterTransport(({ service }) => {
        service(ProductService, {
          getProduct() {
            seen.push(name);
            return { product: { id: 1n } };
          },
        });
      });
    const upstream = createTransportUpstream(
      balanceTransports([
        { url: "a", target: instance("a") },
        { url: "b", target: instance("b") },
      ]),
      {
        timeoutMs: 1000,
      },
    );
    const balanced = await startGateway({ upstreams: { product: upstream } });
    try {
      for (let i = 0; i < 4; i++) await send(balanced.port, "GET", "/products/1");
      expect(seen).toEqual(["a", "b", "a", "b"]);
    } finally {
      await balanced.close();
    }
  });
});
