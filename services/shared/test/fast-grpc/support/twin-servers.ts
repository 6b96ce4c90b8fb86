/**
 * Two servers of one GetProduct implementation, "fast" with the unary gRPC short path and
 * "stock" without, and the raw HTTP/2 requests the tests send both.
 */
import http2 from "node:http2";
import net from "node:net";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { pino } from "pino";
import {
  type GetProductRequest,
  GetProductRequestSchema,
  ProductSchema,
  ProductService,
} from "#gen/shop/product/v1/product_pb";
import { NotFound } from "#shared/errors";
import { createMetrics } from "#shared/metrics";
import { bindService, type ServiceServer, startServiceServer } from "#shared/server/service-server";
import { testVerifier } from "#shared-test/auth";

export const PATH = "/shop.product.v1.ProductService/GetProduct";
export const GRPC = { "content-type": "application/grpc", te: "trailers", "x-request-id": "req-1" };

/** Hears of a cancellable call (id 600) as it starts, and of the reason it was cancelled with. */
export type Watcher = { started(): void; cancelled(reason: unknown): void };

/** GetProduct by id; a call for 600 waits to be cancelled and tells `watchers[request id]`. */
function products(watchers: Map<string, Watcher>) {
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
        case 600n: {
          const watcher = watchers.get(ctx.requestHeader.get("x-request-id") ?? "");
          const aborted = new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          watcher?.started();
          await aborted;
          const { reason } = ctx.signal;
          watcher?.cancelled(reason instanceof ConnectError ? reason.code : reason);
          throw reason;
        }
        // no headers or trailers of its own; text beyond ASCII (1200 bytes in 600 characters)
        case 3n:
        case 5n:
          return { product: { id: req.id, name: "café ☕ 𝄞", description: "é".repeat(600) } };
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

export type Started = {
  server: ServiceServer;
  url: string;
  logs: Record<string, unknown>[];
  watchers: Map<string, Watcher>;
};

export async function start(name: "fast" | "stock"): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const watchers = new Map<string, Watcher>();
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
    services: [products(watchers)],
    logger: pino({ level: "info", base: undefined, timestamp: false }, sink),
    metrics: createMetrics(),
    verifier: testVerifier,
    isReady: async () => true,
    readMaxBytes: 64 * 1024,
    unaryGrpcFastPath: name === "fast",
  });
  return { server, url: `http://127.0.0.1:${server.port}`, logs, watchers };
}

/**
 * A server's log lines as the two servers must agree on them: without the start-up line and
 * durations, generated request ids as their type, errors as their message.
 */
export function comparableLogs({ logs }: Started) {
  return logs
    .filter((line) => !String(line.msg).includes(" listening on "))
    .map(({ durationMs: _, requestId, err, ...rest }) => ({
      ...rest,
      requestId: requestId === "req-1" ? requestId : typeof requestId,
      err: err === undefined ? undefined : (err as { message?: string }).message,
    }));
}

/** A server's `shop_rpc_requests_total` lines from its /metrics. */
export async function requestCounts({ url }: Started): Promise<string[]> {
  return (await (await fetch(`${url}/metrics`)).text())
    .split("\n")
    .filter((line) => line.startsWith("shop_rpc_requests_total{"));
}

export type Answer = {
  headers: Record<string, unknown>;
  body: string;
  trailers: Record<string, unknown>;
  /** The stream's RST_STREAM code as the client saw it (0: closed without error). */
  rstCode: number;
};

/** A request body, sent whole or as one DATA frame per piece. */
export type Body = Uint8Array | readonly Uint8Array[];

/**
 * One raw HTTP/2 request, reset with `code` (default CANCEL) when `cancelWhen` resolves; the
 * answer without Date.
 */
export function send(
  url: string,
  headers: Record<string, string | string[]>,
  body: Body,
  cancelWhen?: Promise<void>,
  code: number = http2.constants.NGHTTP2_CANCEL,
): Promise<Answer> {
  return sendOn(http2.connect(url), headers, body, (stream) =>
    cancelWhen?.then(() => stream.close(code)),
  );
}

/**
 * One raw HTTP/2 request on `session` (closed after it); `started` is given the stream once its
 * body is on its way.
 */
export function sendOn(
  session: http2.ClientHttp2Session,
  headers: Record<string, string | string[]>,
  body: Body,
  started?: (stream: http2.ClientHttp2Stream) => void,
): Promise<Answer> {
  return new Promise<Answer>((resolve) => {
    const stream = session.request({ ":method": "POST", ":path": PATH, ...headers });
    const answer: Answer = { headers: {}, body: "", trailers: {}, rstCode: 0 };
    const chunks: Buffer[] = [];
    stream.on("response", (received) => {
      const { date: _, ...rest } = received;
      answer.headers = { ...rest };
    });
    stream.on("trailers", (received) => {
      answer.trailers = { ...received };
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A reset from the server is part of the answer (rstCode), not a failure of the test.
    stream.on("error", () => {});
    stream.on("close", () => {
      answer.body = Buffer.concat(chunks).toString("hex");
      answer.rstCode = stream.rstCode ?? 0;
      resolve(answer);
    });
    writePieces(stream, body instanceof Uint8Array ? [body] : [...body]);
    started?.(stream);
  }).finally(() => session.close());
}

/** Writes each piece once the one before has gone out, so each is a DATA frame of its own. */
function writePieces(stream: http2.ClientHttp2Stream, pieces: Uint8Array[]): void {
  const [piece, ...rest] = pieces;
  if (rest.length === 0) {
    stream.end(piece);
    return;
  }
  stream.write(piece, () => writePieces(stream, rest));
}

const FRAME_TYPES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE"];
const WINDOW_UPDATE = 8;

/**
 * `send`, through a loopback proxy that reads the server's HTTP/2 frames of the call: each as
 * its type and flags, with a DATA frame's payload and an RST_STREAM's code. Header blocks are
 * HPACK-encoded with the Date and the connection's table, so only their frames' flags compare;
 * `send`'s answer has their contents. Flow control (WINDOW_UPDATE) is left out: when it is
 * sent depends on when the body was read, not on the answer.
 */
export async function sendAndTap(
  url: string,
  headers: Record<string, string | string[]>,
  body: Body,
): Promise<{ answer: Answer; frames: string[] }> {
  const target = new URL(url);
  const frames: string[] = [];
  let pending = Buffer.alloc(0);
  const read = (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
      const length = pending.readUIntBE(0, 3);
      const [type = 0, flags = 0] = [pending[3], pending[4]];
      const stream = pending.readUInt32BE(5) & 0x7fffffff;
      const payload = pending.subarray(9, 9 + length);
      pending = pending.subarray(9 + length);
      if (stream === 0 || type === WINDOW_UPDATE) continue;
      const name = FRAME_TYPES[type] ?? `type ${type}`;
      if (type === 0) frames.push(`${name} flags=${flags} ${payload.toString("hex")}`);
      else if (type === 3) frames.push(`${name} code=${payload.readUInt32BE(0)}`);
      else frames.push(`${name} flags=${flags}`);
    }
  };
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) socket.on("error", () => {});
    client.pipe(upstream);
    upstream.on("data", (data: Buffer) => {
      read(data);
      client.write(data);
    });
    upstream.on("end", () => client.end());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = proxy.address() as net.AddressInfo;
    const answer = await send(`http://127.0.0.1:${port}`, headers, body);
    return { answer, frames };
  } finally {
    proxy.close();
  }
}

export function frame(payload: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

export const request = (id: bigint) =>
  toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id }));

const manyHeaders = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-header-${i}`, `value ${i}`]));
const whole = frame(request(1n));

export const CASES: [string, Record<string, string | string[]>, Body][] = [
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
  ["a message in two DATA frames", GRPC, [whole.subarray(0, 3), whole.subarray(3)]],
  ["a second message in a later DATA frame", GRPC, [whole, whole]],
  [
    "an envelope cut short in a later DATA frame",
    GRPC,
    [whole.subarray(0, 3), whole.subarray(3, 6)],
  ],
  [
    "bytes that do not parse in a later DATA frame",
    GRPC,
    [frame(Buffer.from([0x08])).subarray(0, 5), Buffer.from([0x08])],
  ],
  ["many headers", { ...GRPC, ...manyHeaders(100) }, whole],
  ["more headers than the server takes", { ...GRPC, ...manyHeaders(200) }, whole],
  ["a large header", { ...GRPC, "x-large": "a".repeat(32 * 1024) }, whole],
  ["a repeated header", { ...GRPC, "x-repeated": ["1", "2"] }, whole],
  ["a Host header instead of :authority", { ...GRPC, host: "example.com" }, whole],
  [
    "gRPC-Web over HTTP/2",
    { ...GRPC, "content-type": "application/grpc-web+proto" },
    frame(request(1n)),
  ],
  ["an unknown method", { ...GRPC, ":path": "/shop.product.v1.ProductService/Nope" }, whole],
  ["a GET", { ...GRPC, ":method": "GET" }, whole],
  ["Expect: 100-continue", { ...GRPC, expect: "100-continue" }, whole],
  ["an Expect the server cannot meet", { ...GRPC, expect: "the unexpected" }, whole],
];
