/**
 * The lean unary gRPC client (services/shared/src/fast-grpc/unary-transport.ts) against the
 * shared service server: every outcome a caller can see is compared with connect-node's own
 * `createGrpcTransport` calling the same server.
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  type CallOptions,
  Code,
  ConnectError,
  createClient,
  type HandlerContext,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GetProductRequest,
  ProductSchema,
  ProductService,
} from "#gen/shop/product/v1/product_pb";
import { InvalidArgument, NotFound } from "#shared/errors";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";
import { bindService } from "#shared/server/service-server";
import { startTestServer } from "#shared-test/service-harness";
import { startTcpProxy } from "../support/tcp-proxy.js";

/**
 * GetProduct by id: errors for special ids, a wait of (id - 9000) ms from 9000 on, the request
 * id (3) or the grpc-timeout header (4) as the name.
 */
function products() {
  const unused = () => {
    throw new Error("not used");
  };
  return bindService(ProductService, {
    async getProduct(req: GetProductRequest, ctx: HandlerContext) {
      if (req.id === 404n) throw new NotFound("product", req.id);
      if (req.id === 400n) throw new InvalidArgument("id", "is odd");
      if (req.id === 500n) throw new Error("database password is hunter2");
      if (req.id === 409n) {
        throw new ConnectError("taken: 100 % ✓", Code.AlreadyExists, { "x-meta": "m" }, [
          { desc: ProductSchema, value: { id: 7n, name: "detail" } },
        ]);
      }
      if (req.id >= 9000n) await delay(Number(req.id - 9000n), undefined, { signal: ctx.signal });
      ctx.responseHeader.set("x-extra", "a");
      ctx.responseTrailer.set("x-trail", "b");
      // The server makes a request id when none came: only id 3 shows it.
      const shown = { 3: "x-request-id", 4: "grpc-timeout" }[Number(req.id)];
      const name = shown ? ctx.requestHeader.get(shown) : "p";
      const description = req.id === 2n ? "long ".repeat(1000) : "short";
      return { product: { id: req.id, name: name ?? "", description } };
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

const app = { services: [products()], isReady: async () => true };

/** What a caller sees of one GetProduct call: the product, or the error's visible parts. */
async function outcome(transport: Transport, id: bigint, options?: CallOptions) {
  try {
    const response = await createClient(ProductService, transport).getProduct({ id }, options);
    return { product: response.product };
  } catch (error) {
    const e = ConnectError.from(error);
    const meta = e.metadata.get("x-meta");
    return { code: Code[e.code], rawMessage: e.rawMessage, details: e.details, meta };
  }
}

describe("the unary gRPC transport", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let ours: ReturnType<typeof createGrpcUnaryTransport>;
  let theirs: Transport;
  beforeAll(async () => {
    server = await startTestServer(app);
    ours = createGrpcUnaryTransport({ baseUrl: server.baseUrl });
    theirs = createGrpcTransport({ baseUrl: server.baseUrl });
  });
  afterAll(async () => {
    ours.close();
    await server.close(100);
  });

  it.each([
    ["a product", 1n],
    ["a domain error (NotFound)", 404n],
    ["a validation error (InvalidArgument)", 400n],
    ["an unexpected error (Internal)", 500n],
    ["an error with metadata, details and a message to percent-decode", 409n],
    ["a large answer", 2n],
  ])("answers %s as connect's transport does", async (_name, id) => {
    const [a, b] = [await outcome(ours, id), await outcome(theirs, id)];
    expect(a).toEqual(b);
    if (id !== 1n && id !== 2n) expect(a).toHaveProperty("code");
  });

  it("passes request headers and exposes response headers and trailers", async () => {
    const seen: Record<string, string | null>[] = [];
    for (const transport of [ours, theirs]) {
      const result = await outcome(transport, 3n, {
        headers: { "X-Request-Id": "req-42" },
        onHeader: (h) => seen.push({ extra: h.get("x-extra"), type: h.get("content-type") }),
        onTrailer: (t) => seen.push({ trail: t.get("x-trail"), status: t.get("grpc-status") }),
      });
      expect(result).toMatchObject({ product: { name: "req-42" } });
    }
    expect(seen.slice(0, 2)).toEqual(seen.slice(2));
    expect(seen[0]).toEqual({ extra: "a", type: "application/grpc+proto" });
    expect(seen[1]).toEqual({ trail: "b", status: "0" });
  });

  it("enforces the deadline locally and sends it as grpc-timeout", async () => {
    const started = Date.now();
    const [a, b] = [
      await outcome(ours, 9500n, { timeoutMs: 50 }),
      await outcome(theirs, 9500n, { timeoutMs: 50 }),
    ];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ code: "DeadlineExceeded", rawMessage: "the operation timed out" });
    expect(Date.now() - started).toBeLessThan(900);
    const sent = [
      await outcome(ours, 4n, { timeoutMs: 5000 }),
      await outcome(theirs, 4n, { timeoutMs: 5000 }),
    ];
    expect(sent[0]).toEqual(sent[1]);
    expect(sent[0]).toMatchObject({ product: { name: "5000m" } });
    // The default deadline applies when the call gives none (long enough for a loaded machine
    // to connect and answer the call that waits for nothing).
    const short = createGrpcUnaryTransport({ baseUrl: server.baseUrl, defaultTimeoutMs: 300 });
    expect(await outcome(short, 9500n)).toMatchObject({ code: "DeadlineExceeded" });
    expect(await outcome(short, 9000n)).toHaveProperty("product");
    short.close();
  });

  it("cancels a call when its signal aborts, and refuses an aborted signal", async () => {
    const abortAfter = async (transport: Transport, ms: number) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), ms);
      return outcome(transport, 9500n, { signal: controller.signal });
    };
    const [a, b] = [await abortAfter(ours, 30), await abortAfter(theirs, 30)];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ code: "Canceled", rawMessage: "This operation was aborted" });
    const [c, d] = [await abortAfter(ours, 0), await abortAfter(theirs, 0)];
    expect(c).toEqual(d);
    const reason = new ConnectError("user left", Code.Aborted);
    const aborted = AbortSignal.abort(reason);
    expect(await outcome(ours, 1n, { signal: aborted })).toMatchObject({ code: "Aborted" });
  });

  it("multiplexes concurrent calls on one HTTP/2 connection", async () => {
    const proxy = await startTcpProxy(server.port);
    const transport = createGrpcUnaryTransport({ baseUrl: proxy.url });
    try {
      const ids = Array.from({ length: 100 }, (_, i) => BigInt(9000 + (i % 20)));
      const results = await Promise.all(ids.map((id) => outcome(transport, id)));
      expect(results.map((r) => r.product?.id)).toEqual(ids);
      expect(await outcome(transport, 1n)).toHaveProperty("product");
      expect(proxy.connections()).toBe(1);
    } finally {
      transport.close();
      await proxy.close();
    }
  });
});
