/**
 * The unary gRPC short path (services/shared/src/fast-grpc/unary-handler.ts) must answer exactly as
 * connect-node does. Two servers serve one implementation, one with the short path and one
 * without; each case sends the same raw HTTP/2 request to both and compares status, headers,
 * body bytes and trailers, then the log lines and RPC metrics the two servers recorded.
 */
import http2 from "node:http2";
import { Writable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GetProductRequest,
  GetProductRequestSchema,
  ProductSchema,
  ProductService,
} from "#gen/shop/product/v1/product_pb";
import { NotFound } from "#shared/errors";
import { createMetrics } from "#shared/metrics";
import { bindService, type ServiceServer, startServiceServer } from "#shared/server/service-server";

const PATH = "/shop.product.v1.ProductService/GetProduct";
const GRPC = { "content-type": "application/grpc", te: "trailers", "x-request-id": "req-1" };

/** Signal reasons the handler saw when a client cancelled, per server. */
const cancelled: Record<string, unknown[]> = { fast: [], stock: [] };

function products(name: string) {
  const unused = () => {
    throw new Error("not used");
  };
  return bindService(ProductService, {
    async getProduct(req: GetProductRequest, ctx: HandlerContext) {
      switch (req.id) {
        case 404n:
          throw new NotFound("product", req.id);
        case 500n:
          throw new Error("database password is hunter2");
        case 409n:
          throw new ConnectError("taken", Code.AlreadyExists, { "x-meta": "m" }, [
            { desc: ProductSchema, value: { id: 7n, name: "detail" } },
          ]);
        case 504n:
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          throw ctx.signal.reason;
        case 600n:
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          cancelled[name]?.push(
            ctx.signal.reason instanceof ConnectError ? ctx.signal.reason.code : ctx.signal.reason,
          );
          throw ctx.signal.reason;
      }
      ctx.responseHeader.set("x-extra", "a");
      ctx.responseTrailer.set("x-trail", "b");
      const description = req.id === 2n ? "long ".repeat(1000) : "short";
      return { product: { id: req.id, name: "p", description } };
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

type Started = { server: ServiceServer; url: string; logs: Record<string, unknown>[] };

async function start(name: "fast" | "stock"): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(JSON.parse(String(chunk)));
      callback();
    },
  });
  const server = await startServiceServer({
    name,
    host: "127.0.0.1",
    port: 0,
    services: [products(name)],
    logger: pino({ level: "info", base: undefined, timestamp: false }, sink),
    metrics: createMetrics(),
    isReady: async () => true,
    readMaxBytes: 64 * 1024,
    unaryGrpcFastPath: name === "fast",
  });
  return { server, url: `http://127.0.0.1:${server.port}`, logs };
}

type Answer = {
  headers: Record<string, unknown>;
  body: string;
  trailers: Record<string, unknown>;
};

/** One raw HTTP/2 request; the answer without the Date header. */
function send(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  cancelAfterMs?: number,
): Promise<Answer> {
  const session = http2.connect(url);
  return new Promise<Answer>((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": PATH, ...headers });
    const answer: Answer = { headers: {}, body: "", trailers: {} };
    const chunks: Buffer[] = [];
    stream.on("response", (received) => {
      const { date: _, ...rest } = received;
      answer.headers = { ...rest };
    });
    stream.on("trailers", (received) => {
      answer.trailers = { ...received };
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => {
      answer.body = Buffer.concat(chunks).toString("hex");
      resolve(answer);
    });
    stream.on("error", reject);
    stream.end(body);
    if (cancelAfterMs !== undefined) {
      setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), cancelAfterMs);
    }
  }).finally(() => session.close());
}

function frame(payload: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

const request = (id: bigint) =>
  toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id }));

const CASES: [string, Record<string, string>, Uint8Array][] = [
  ["a product", GRPC, frame(request(1n))],
  ["an empty message", GRPC, frame(new Uint8Array(0))],
  [
    "content type +proto",
    { ...GRPC, "content-type": "application/grpc+proto" },
    frame(request(1n)),
  ],
  ["no request id: one is made", { "content-type": "application/grpc" }, frame(request(1n))],
  ["a domain error", GRPC, frame(request(404n))],
  ["an unexpected error", GRPC, frame(request(500n))],
  ["an error with metadata and details", GRPC, frame(request(409n))],
  [
    "a large answer, gzip accepted",
    { ...GRPC, "grpc-accept-encoding": "gzip" },
    frame(request(2n)),
  ],
  [
    "grpc-js's accept list",
    { ...GRPC, "grpc-accept-encoding": "identity,deflate,gzip" },
    frame(request(2n)),
  ],
  ["an unknown accepted encoding", { ...GRPC, "grpc-accept-encoding": "zstd" }, frame(request(2n))],
  ["identity request encoding", { ...GRPC, "grpc-encoding": "identity" }, frame(request(1n))],
  ["a gzip request", { ...GRPC, "grpc-encoding": "gzip" }, frame(gzipSync(request(1n)), 1)],
  ["an unknown request encoding", { ...GRPC, "grpc-encoding": "zstd" }, frame(request(1n))],
  ["a compressed flag without encoding", GRPC, frame(request(1n), 1)],
  ["bytes that do not parse", GRPC, frame(Buffer.from([0x08]))],
  ["no message", GRPC, Buffer.alloc(0)],
  ["two messages", GRPC, Buffer.concat([frame(request(1n)), frame(request(1n))])],
  ["an incomplete envelope", GRPC, frame(request(1n)).subarray(0, 6)],
  ["a message above readMaxBytes", GRPC, frame(Buffer.alloc(70 * 1024))],
  ["a deadline that passes", { ...GRPC, "grpc-timeout": "50m" }, frame(request(504n))],
  ["a deadline that does not", { ...GRPC, "grpc-timeout": "5S" }, frame(request(1n))],
  ["a malformed deadline", { ...GRPC, "grpc-timeout": "soon" }, frame(request(1n))],
  [
    "the JSON codec",
    { ...GRPC, "content-type": "application/grpc+json" },
    frame(Buffer.from('{"id":"1"}')),
  ],
];

describe("the unary gRPC short path", () => {
  let fast: Started;
  let stock: Started;
  beforeAll(async () => {
    [fast, stock] = await Promise.all([start("fast"), start("stock")]);
  });
  afterAll(async () => {
    await Promise.all([fast.server.close(100), stock.server.close(100)]);
  });

  it.each(CASES)("answers %s as connect-node does", async (_name, headers, body) => {
    const [ours, theirs] = [
      await send(fast.url, headers, body),
      await send(stock.url, headers, body),
    ];
    const requestId = (answer: Answer) =>
      headers["x-request-id"]
        ? answer
        : { ...answer, headers: { ...answer.headers, "x-request-id": "*" } };
    expect(requestId(ours)).toEqual(requestId(theirs));
  });

  it("aborts the handler's signal as Canceled when the client cancels", async () => {
    await send(fast.url, GRPC, frame(request(600n)), 50);
    await send(stock.url, GRPC, frame(request(600n)), 50);
    await delay(50);
    expect(cancelled.fast).toEqual([Code.Canceled]);
    expect(cancelled.stock).toEqual([Code.Canceled]);
  });

  it("logs and counts the same calls", async () => {
    const lines = (logs: Record<string, unknown>[]) =>
      logs
        .filter((line) => line.msg !== `fast listening on 127.0.0.1:${fast.server.port}`)
        .filter((line) => line.msg !== `stock listening on 127.0.0.1:${stock.server.port}`)
        .map(({ durationMs: _, requestId, err, ...rest }) => ({
          ...rest,
          requestId: requestId === "req-1" ? requestId : typeof requestId,
          err: err === undefined ? undefined : (err as { message?: string }).message,
        }));
    expect(lines(fast.logs).length).toBeGreaterThan(CASES.length / 2);
    expect(lines(fast.logs)).toEqual(lines(stock.logs));
    const counts = async (url: string) =>
      (await (await fetch(`${url}/metrics`)).text())
        .split("\n")
        .filter((line) => line.startsWith("shop_rpc_requests_total{"));
    expect(await counts(fast.url)).toEqual(await counts(stock.url));
  });
});
