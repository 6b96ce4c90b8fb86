import http from "node:http";
import http2 from "node:http2";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { ConnectError, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { GetProductRequestSchema, ProductService } from "#gen/shop/product/v1/product_pb";

/** One HTTP exchange as the wire saw it. */
export interface WireReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** HTTP/2 trailers; empty when there were none (or over HTTP/1.1). */
  readonly trailers: Record<string, string>;
  /** HTTP/2: the response headers ended the stream (gRPC's trailers-only response). */
  readonly endedWithHeaders: boolean;
  readonly body: Buffer;
}

/** Sends one request over a fresh HTTP/2 (h2c prior knowledge) connection. */
export function h2Exchange(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
): Promise<WireReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let endedWithHeaders = false;
    stream.on("response", (received, flags) => {
      head = received;
      endedWithHeaders = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    stream.on("trailers", (received) => {
      trailers = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({
        status: Number(head[":status"]),
        headers: flat(head),
        trailers: flat(trailers),
        endedWithHeaders,
        body: Buffer.concat(chunks),
      });
    });
    // node ends a GET's request side by itself.
    if (headers[":method"] === "GET") return;
    stream.end(body);
  });
}

/** Sends one request over HTTP/1.1. */
export function h1Exchange(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
): Promise<WireReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: flat(res.headers),
            trailers: flat(res.trailers),
            endedWithHeaders: false,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function flat(
  headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** The frames of an enveloped body (gRPC-Web, Connect streaming): flags and payload each. */
export function frames(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const size = body.readUInt32BE(at + 1);
    out.push({ flags: body[at] as number, data: body.subarray(at + 5, at + 5 + size) });
    at += 5 + size;
  }
  return out;
}

/** The empty message as one gRPC envelope. */
export const emptyEnvelope = Buffer.from([0, 0, 0, 0, 0]);

/** A unary method descriptor like GetProduct's, but for `/<service>/<method>`. */
export function fakeMethod(service: string, method: string): DescMethodUnary {
  const real = ProductService.method.getProduct;
  return {
    ...real,
    name: method,
    parent: { ...ProductService, typeName: service },
  } as DescMethodUnary;
}

/** Every Connect-family transport to `baseUrl`, by name. */
export function connectTransports(baseUrl: string): Record<string, Transport> {
  return {
    grpc: createGrpcTransport({ baseUrl }),
    "grpc-web (HTTP/1.1)": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    "connect JSON (HTTP/1.1)": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    "connect binary (HTTP/2)": createConnectTransport({
      baseUrl,
      httpVersion: "2",
      useBinaryFormat: true,
    }),
  };
}

/** The ConnectError a unary call of `method` on `transport` ends with. */
export async function unaryFailure(
  transport: Transport,
  method: DescMethodUnary,
): Promise<ConnectError | "ok"> {
  try {
    await transport.unary(method, undefined, 5000, undefined, {
      $typeName: GetProductRequestSchema.typeName,
      id: 1n,
    } as never);
    return "ok";
  } catch (error) {
    return ConnectError.from(error);
  }
}

/** What a @grpc/grpc-js client hears from a unary call of `path` with an empty message. */
export function grpcJsUnary(
  address: string,
  path: string,
): Promise<{ code: number; details: string } | "ok"> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const same = (value: Buffer) => value;
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, same, same, Buffer.alloc(0), (error) => {
      client.close();
      resolve(error ? { code: error.code, details: error.details } : "ok");
    });
  });
}
