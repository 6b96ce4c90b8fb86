/**
 * The lean unary gRPC client against answers our own server never gives — trailers-only
 * errors, HTTP errors, broken frames — from a raw HTTP/2 server, compared with connect-node's
 * transport. Where the server breaks the protocol, connect blames the caller (InvalidArgument,
 * Unimplemented); the lean client says Internal with connect's message, as listed below.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetProductResponseSchema,
  ProductSchema,
  ProductService,
} from "#gen/shop/product/v1/product_pb";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";

const GRPC = { ":status": 200, "content-type": "application/grpc" };
const OK = { "grpc-status": "0" };
const product = encodeEnvelope(
  0,
  toBinary(GetProductResponseSchema, create(GetProductResponseSchema, { product: { id: 1n } })),
);

/** Trailers that carry `error` as connect's server writes them (details in -bin). */
function statusOf(error: ConnectError): Record<string, string> {
  return Object.fromEntries(setTrailerStatus(new Headers(), error));
}
const detailed = new ConnectError("gone: 100 % ✓", Code.NotFound, undefined, [
  { desc: ProductSchema, value: { id: 7n } },
]);

type Headers2 = http2.OutgoingHttpHeaders;
type Answer = { header: Headers2; body?: Uint8Array; trailer?: Headers2 };

/** Each case: the raw answer, and the code connect says where ours differs (ours: Internal). */
const CASES: Record<string, Answer & { connectSays?: Code }> = {
  "a message": { header: GRPC, body: product, trailer: OK },
  "a trailers-only error": {
    header: { ...GRPC, "grpc-status": "5", "grpc-message": "no%20such%20thing" },
  },
  "a trailers-only error with details": { header: { ...GRPC, ...statusOf(detailed) } },
  "an error in the trailers": { header: GRPC, trailer: statusOf(detailed) },
  "an unknown grpc-status": { header: GRPC, trailer: { "grpc-status": "99" } },
  "no grpc-status": { header: GRPC, body: product, trailer: {} },
  "HTTP 503": { header: { ":status": 503 } },
  "HTTP 404": { header: { ":status": 404, "content-type": "text/plain" }, body: Buffer.from("x") },
  "an HTML page": {
    header: { ":status": 200, "content-type": "text/html" },
    body: Buffer.from("<p>"),
  },
  "a gzip answer": { header: { ...GRPC, "grpc-encoding": "gzip" }, body: product, trailer: OK },
  "a compressed frame": { header: GRPC, body: encodeEnvelope(1, Buffer.from("x")), trailer: OK },
  "bytes that do not parse": {
    header: GRPC,
    body: encodeEnvelope(0, Buffer.from([8])),
    trailer: OK,
  },
  "a message with an error status": { header: GRPC, body: product, trailer: statusOf(detailed) },
  "a message above readMaxBytes": {
    header: GRPC,
    body: encodeEnvelope(0, Buffer.alloc(2000)),
    trailer: OK,
  },
  "no message": { header: GRPC, trailer: OK, connectSays: Code.Unimplemented },
  "two messages": {
    header: GRPC,
    body: Buffer.concat([product, product]),
    trailer: OK,
    connectSays: Code.Unimplemented,
  },
  "an incomplete frame": {
    header: GRPC,
    body: product.subarray(0, 4),
    trailer: OK,
    connectSays: Code.InvalidArgument,
  },
};

function answer(stream: http2.ServerHttp2Stream, { header, body, trailer }: Answer): void {
  stream.respond(header, { endStream: !body && !trailer, waitForTrailers: Boolean(trailer) });
  if (trailer) stream.once("wantTrailers", () => stream.sendTrailers(trailer));
  if (body || trailer) stream.end(body);
}

async function outcome(transport: Transport, name: string) {
  try {
    const headers = { "x-case": name };
    const response = await createClient(ProductService, transport).getProduct({}, { headers });
    return { id: response.product?.id };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: e.code, rawMessage: e.rawMessage, details: e.details };
  }
}

describe("the unary gRPC transport against raw answers", () => {
  let server: http2.Http2Server;
  let ours: ReturnType<typeof createGrpcUnaryTransport>;
  let theirs: Transport;
  beforeAll(async () => {
    server = http2.createServer();
    server.on("stream", (stream, headers) => {
      stream.on("error", () => {});
      stream.resume();
      const name = String(headers["x-case"]);
      if (name === "a reset") return void stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      answer(stream, CASES[name] as Answer);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ours = createGrpcUnaryTransport({ baseUrl, readMaxBytes: 1000 });
    theirs = createGrpcTransport({ baseUrl, readMaxBytes: 1000, acceptCompression: [] });
  });
  afterAll(async () => {
    ours.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(Object.keys(CASES))("reads %s as connect does", async (name) => {
    const [a, b] = [await outcome(ours, name), await outcome(theirs, name)];
    const connectSays = CASES[name]?.connectSays;
    if (connectSays === undefined) {
      expect(a).toEqual(b);
    } else {
      expect(b).toMatchObject({ code: connectSays });
      expect(a).toEqual({ ...b, code: Code.Internal });
    }
  });

  it("reads a refused stream as Unavailable, where connect says Internal", async () => {
    // connect-node maps RST_STREAM codes as gRPC does (node-error.ts) but Node's stream 'error'
    // reaches it first; REFUSED_STREAM means the server did not process the call: safe to retry.
    expect(await outcome(theirs, "a reset")).toMatchObject({ code: Code.Internal });
    expect(await outcome(ours, "a reset")).toEqual({
      code: Code.Unavailable,
      rawMessage: "http/2 stream closed with error code REFUSED_STREAM (0x7)",
      details: [],
    });
  });

  it("decodes the messages and details of errors", async () => {
    expect(await outcome(ours, "a trailers-only error")).toMatchObject({
      code: Code.NotFound,
      rawMessage: "no such thing",
    });
    const withDetails = await outcome(ours, "a trailers-only error with details");
    expect(withDetails).toMatchObject({ code: Code.NotFound, rawMessage: "gone: 100 % ✓" });
    expect(withDetails.details).toEqual([
      {
        type: "shop.product.v1.Product",
        value: toBinary(ProductSchema, create(ProductSchema, { id: 7n })),
      },
    ]);
  });
});
