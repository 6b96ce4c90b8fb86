/**
 * The request headers of the lean unary gRPC client as a server receives them, raw: a plain
 * record (sent in node's array form) and the same names as pairs (node's object form) must
 * reach the wire alike, pseudo-headers included, in the same order.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { type CallOptions, createClient, type Transport } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetProductResponseSchema, ProductService } from "#gen/shop/product/v1/product_pb";
import { sessionAuthority } from "#shared/fast-grpc/http2-connection";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";

const product = encodeEnvelope(
  0,
  toBinary(GetProductResponseSchema, create(GetProductResponseSchema, { product: { id: 1n } })),
);

describe("the unary gRPC client's request headers", () => {
  let server: http2.Http2Server;
  let port: number;
  let transport: ReturnType<typeof createGrpcUnaryTransport>;
  const received: string[][] = [];

  beforeAll(async () => {
    server = http2.createServer();
    server.on("stream", (stream, _headers, _flags, rawHeaders: string[]) => {
      received.push(rawHeaders);
      stream.respond(
        { ":status": 200, "content-type": "application/grpc" },
        {
          waitForTrailers: true,
        },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(product);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    transport = createGrpcUnaryTransport({ baseUrl: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  });

  /** The raw headers the server got for one GetProduct sent with `headers`. */
  async function sent(
    headers: CallOptions["headers"],
    timeoutMs?: number,
    through: Transport = transport,
  ): Promise<string[]> {
    const before = received.length;
    await createClient(ProductService, through).getProduct({ id: 1n }, { headers, timeoutMs });
    expect(received.length).toBe(before + 1);
    return received[before] as string[];
  }

  it("sends a plain record as connect's gRPC transport would, pseudo-headers first", async () => {
    const raw = await sent({ "x-request-id": "r-1", authorization: "Bearer t" }, 1500);
    expect(raw).toEqual([
      ":method",
      "POST",
      ":path",
      "/shop.product.v1.ProductService/GetProduct",
      ":authority",
      `127.0.0.1:${port}`,
      ":scheme",
      "http",
      "x-request-id",
      "r-1",
      "authorization",
      "Bearer t",
      "content-type",
      "application/grpc+proto",
      "te",
      "trailers",
      "user-agent",
      "connect-shop-grpc-unary connect-es/2.2.0",
      "grpc-timeout",
      "1500m",
    ]);
  });

  it("sends a record byte for byte as the object form sends the same headers", async () => {
    // Pairs take the object form, in the record's order (a Headers object would sort them).
    const record = { "x-request-id": "r-2", authorization: "Bearer u", "x-empty": "" };
    expect(await sent(record)).toEqual(await sent(Object.entries(record)));
    // A deadline a loaded machine cannot miss: only its header matters here.
    expect(await sent(record, 20_000)).toEqual(await sent(Object.entries(record), 20_000));
  });

  it("keeps the object form's merging for names it sets or that differ in case", async () => {
    const custom = await sent({ "User-Agent": "mine", "X-Request-Id": "r-3" });
    expect(custom).toEqual(
      await sent([
        ["user-agent", "mine"],
        ["x-request-id", "r-3"],
      ]),
    );
    expect(custom.filter((_, i) => i % 2 === 0 && custom[i] === "user-agent")).toHaveLength(1);
    expect(custom[custom.indexOf("user-agent") + 1]).toBe("mine");
    const overridden = await sent({ "content-type": "text/plain", te: "gzip" });
    expect(overridden[overridden.indexOf("content-type") + 1]).toBe("application/grpc+proto");
    expect(overridden[overridden.indexOf("te") + 1]).toBe("trailers");
  });

  it("sends the Headers interceptors pass on as the object form sends the same pairs", async () => {
    const intercepted = createGrpcUnaryTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      interceptors: [
        (next) => (req) => {
          req.header.set("authorization", "Bearer i");
          if (req.header.has("x-drop"))
            for (const name of ["te", "user-agent"]) req.header.delete(name);
          return next(req);
        },
      ],
    });
    try {
      // connect's request header with the interceptor's added, in the order Headers lists them.
      const raw = await sent({ "x-request-id": "r-4" }, 1500, intercepted);
      expect(raw).toEqual(
        await sent(
          [
            ["authorization", "Bearer i"],
            ["content-type", "application/grpc+proto"],
            ["grpc-timeout", "1500m"],
            ["te", "trailers"],
            ["user-agent", "connect-es/2.2.0"],
            ["x-request-id", "r-4"],
          ],
          1500,
        ),
      );
      // Names the object form sets, when an interceptor removed them, come after the rest.
      const dropped = await sent({ "x-drop": "1" }, undefined, intercepted);
      expect(dropped).toEqual(
        await sent([
          ["authorization", "Bearer i"],
          ["content-type", "application/grpc+proto"],
          ["x-drop", "1"],
        ]),
      );
      expect(dropped.slice(-4)).toEqual([
        "te",
        "trailers",
        "user-agent",
        "connect-shop-grpc-unary connect-es/2.2.0",
      ]);
    } finally {
      intercepted.close();
    }
  });

  it("names the authority node's session would name", () => {
    expect(sessionAuthority(new URL("http://product:8081/prefix"))).toEqual({
      authority: "product:8081",
      scheme: "http",
    });
    expect(sessionAuthority(new URL("http://[::1]:50050"))).toEqual({
      authority: "::1:50050",
      scheme: "http",
    });
    expect(sessionAuthority(new URL("http://product"))).toEqual({
      authority: "product:80",
      scheme: "http",
    });
    expect(sessionAuthority(new URL("https://product"))).toEqual({
      authority: "product:443",
      scheme: "https",
    });
  });
});
