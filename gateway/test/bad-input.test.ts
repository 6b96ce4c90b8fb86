import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send, startGateway, type TestGateway } from "./support/harness.js";

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

const bodyRoutes = [
  ["POST", "/products"],
  ["PUT", "/products/1"],
  ["POST", "/baskets"],
  ["POST", "/baskets/ann/items"],
  ["PUT", "/baskets/ann/items/1"],
] as const;

/** Deterministic garbage, so a failure can be replayed. */
function garbage(seed: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

const malformed: (string | Buffer)[] = [
  "{",
  "}",
  "nul",
  '{"name":}',
  '{"name":"x",}',
  "\uFEFF{}",
  "[".repeat(100_000),
  Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString("latin1"),
  ...Array.from({ length: 20 }, (_, seed) => garbage(seed, 1 + seed * 37)),
];

const wellFormedButWrong = [
  "null",
  "true",
  '"text"',
  "[]",
  "1e400",
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":1}}',
  JSON.stringify({ name: ["a"], price: {}, stockQuantity: "many" }),
  JSON.stringify({ quantity: 2 ** 40, productId: "1e3" }),
  JSON.stringify({ stockQuantity: -1e308, userId: 12 }),
  `{${'"a":1,'.repeat(1000)}"b":2}`,
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
];

describe("a sweep of bad input", () => {
  it("answers malformed bodies with 400 on every body route", async () => {
    for (const [method, path] of bodyRoutes) {
      for (const body of malformed) {
        const reply = await send(gateway.port, method, path, body);
        expect(reply.status, `${method} ${path} ${String(body).slice(0, 40)}`).toBe(400);
        expect(reply.json).toMatchObject({ code: "invalid_argument", details: [] });
      }
    }
  });

  it("answers well-formed but wrong bodies with a 4xx", async () => {
    for (const [method, path] of bodyRoutes) {
      for (const body of wellFormedButWrong) {
        const reply = await send(gateway.port, method, path, body);
        expect(reply.status, `${method} ${path} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
      }
    }
  });

  it("never answers 5xx for odd but decodable bodies (the service judges them)", async () => {
    for (const [method, path] of bodyRoutes) {
      for (const body of [JSON.stringify({ name: "x".repeat(100_000) }), "{}", '{"user_id":""}']) {
        const reply = await send(gateway.port, method, path, body);
        expect(reply.status, `${method} ${path} ${body.slice(0, 40)}`).toBeLessThan(500);
      }
    }
  });

  it("answers huge bodies with 413, declared or chunked", async () => {
    const huge = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const declared = await send(gateway.port, "POST", "/products", huge);
    expect(declared.status).toBe(413);
    const chunked = await send(gateway.port, "POST", "/products", huge, {
      "content-type": "application/json",
      "transfer-encoding": "chunked",
    });
    expect(chunked.status).toBe(413);
    expect(chunked.json).toMatchObject({ code: "resource_exhausted" });
  });

  it("answers garbage paths and queries with a 4xx", async () => {
    const paths = [
      "/products/%",
      "/products/%zz",
      "/products/%E0%A4%A",
      "/products/1%00",
      "/products/99999999999999999999999",
      "/products/1.5",
      "/products/0x10",
      "/products/%F0%9F%98%80",
      "/products/1/extra",
      "/../../etc/passwd",
      "//",
      "/products//",
      "/baskets//items",
      "/baskets/%ff%fe",
      "/baskets/ann/items/abc",
      `/products/${"9".repeat(5000)}`,
      `/${"a/".repeat(2000)}`,
      "/products?%=1",
      "/products?page_size=%zz",
      "/products?page_size=1&page_size=2",
      "/products?page_size=99999999999",
      "/products?a[b]=c&&&=",
      "/products/1?id=2",
      "/products/1:verb",
      "*",
      "http://evil.example/products",
    ];
    for (const path of paths) {
      const reply = await send(gateway.port, "GET", path);
      expect(reply.status, path).toBeGreaterThanOrEqual(400);
      expect(reply.status, path).toBeLessThan(500);
      expect(reply.json, path).toMatchObject({ code: expect.any(String), details: [] });
    }
  });

  it("answers unusual methods with 400 (from the HTTP parser), 404 or 405", async () => {
    for (const method of ["PROPFIND", "TRACE", "OPTIONS", "HEAD", "PATCH", "CONNECTX"]) {
      const reply = await send(gateway.port, method, "/products");
      expect([400, 404, 405], method).toContain(reply.status);
      if (method !== "HEAD") expect(reply.json, method).toMatchObject({ code: expect.any(String) });
    }
  });

  it("answers oversized headers with 431 in the error shape", async () => {
    const reply = await send(gateway.port, "GET", "/health", undefined, {
      "x-big": "a".repeat(20_000),
    });
    expect(reply.status).toBe(431);
    expect(reply.json).toMatchObject({ code: "resource_exhausted" });
  });

  it("survives a broken request line and stays up", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(gateway.port, "127.0.0.1", () =>
        socket.write("GET /\x01\x02 HTTP/9.9\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
      });
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('{"code":"invalid_argument"');
    expect((await send(gateway.port, "GET", "/health")).status).toBe(200);
  });
});
