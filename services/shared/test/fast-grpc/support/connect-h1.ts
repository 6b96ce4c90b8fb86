/**
 * Raw HTTP/1.1 Connect requests the tests send both twin servers (support/twin-servers.ts), and
 * the cases that pin the unary Connect short path against connect-node.
 */
import http from "node:http";
import { gzipSync } from "node:zlib";
import { request as binaryRequest } from "./twin-servers.js";

const PATH = "/shop.product.v1.ProductService/GetProduct";
export const JSON_TYPE = { "content-type": "application/json", "x-request-id": "req-1" };
const PROTO_TYPE = { "content-type": "application/proto", "x-request-id": "req-1" };

export type H1Answer = { status: number; headers: Record<string, unknown>; body: string };

export type H1Request = {
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
  readonly method?: string;
  readonly path?: string;
  /** Send the body with Transfer-Encoding: chunked instead of a Content-Length. */
  readonly chunked?: boolean;
};

/** One raw HTTP/1.1 request on a fresh connection; the answer without Date. */
export function sendH1(url: string, request: H1Request): Promise<H1Answer> {
  return new Promise<H1Answer>((resolve, reject) => {
    const body = typeof request.body === "string" ? Buffer.from(request.body) : request.body;
    const length = request.chunked ? {} : { "content-length": String(body.length) };
    const req = http.request(
      `${url}${request.path ?? PATH}`,
      {
        method: request.method ?? "POST",
        agent: false,
        headers: { ...length, ...request.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const { date: _, ...headers } = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString("hex"),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (request.chunked) {
      req.write(body.subarray(0, 1));
      req.end(body.subarray(1));
    } else req.end(body);
  });
}

const json = (body: string, headers: Record<string, string> = {}): H1Request => ({
  headers: { ...JSON_TYPE, ...headers },
  body,
});

export const H1_CASES: [string, H1Request][] = [
  ["a product as JSON", json('{"id":"1"}')],
  ["a product as binary", { headers: PROTO_TYPE, body: binaryRequest(1n) }],
  [
    "JSON with a charset",
    json('{"id":"1"}', { "content-type": "application/json; charset=utf-8" }),
  ],
  ["an upper-case content type", json('{"id":"1"}', { "content-type": "Application/JSON" })],
  ["an empty JSON object", json("{}")],
  ["an empty body", json("")],
  ["an empty binary body", { headers: PROTO_TYPE, body: new Uint8Array(0) }],
  ["JSON that does not parse", json('{"id":')],
  ["a field of the wrong type", json('{"id":"abc"}')],
  ["an unknown field", json('{"id":"1","colour":"red"}')],
  ["binary that does not parse", { headers: PROTO_TYPE, body: Buffer.from([0x08]) }],
  ["no request id: one is made", { headers: { "content-type": "application/json" }, body: "{}" }],
  ["a domain error", json('{"id":"404"}')],
  ["an unexpected error", json('{"id":"500"}')],
  ["an error with metadata and details", json('{"id":"409"}')],
  ["a large answer, gzip accepted", json('{"id":"2"}', { "accept-encoding": "gzip" })],
  ["a browser's accept list", json('{"id":"2"}', { "accept-encoding": "gzip, deflate, br, zstd" })],
  ["an unknown accepted encoding", json('{"id":"2"}', { "accept-encoding": "zstd" })],
  ["a small answer, gzip accepted", json('{"id":"1"}', { "accept-encoding": "gzip" })],
  ["no trailers, text beyond ASCII", json('{"id":"3"}')],
  ["no trailers, text beyond ASCII, as binary", { headers: PROTO_TYPE, body: binaryRequest(3n) }],
  // 600 "é" are 1200 bytes but 600 characters: above connect's 1 KiB threshold only in bytes
  ["text beyond ASCII, gzip accepted", json('{"id":"5"}', { "accept-encoding": "gzip" })],
  [
    "a gzip request",
    { headers: { ...JSON_TYPE, "content-encoding": "gzip" }, body: gzipSync('{"id":"1"}') },
  ],
  ["an identity request encoding", json('{"id":"1"}', { "content-encoding": "identity" })],
  ["an unknown request encoding", json('{"id":"1"}', { "content-encoding": "zstd" })],
  ["a deadline that passes", json('{"id":"504"}', { "connect-timeout-ms": "50" })],
  ["a deadline that does not", json('{"id":"1"}', { "connect-timeout-ms": "5000" })],
  ["a malformed deadline", json('{"id":"1"}', { "connect-timeout-ms": "soon" })],
  ["a deadline too long to write", json('{"id":"1"}', { "connect-timeout-ms": "12345678901" })],
  ["protocol version 1", json('{"id":"1"}', { "connect-protocol-version": "1" })],
  ["an unknown protocol version", json('{"id":"1"}', { "connect-protocol-version": "2" })],
  ["a bearer token that does not verify", json('{"id":"1"}', { authorization: "Bearer nope" })],
  ["a body above readMaxBytes", json(`{"id":"1","name":"${"x".repeat(70 * 1024)}"}`)],
  [
    "a chunked body",
    {
      headers: { ...JSON_TYPE, "transfer-encoding": "chunked" },
      body: '{"id":"1"}',
      chunked: true,
    },
  ],
  [
    "a chunked body above readMaxBytes",
    {
      headers: { ...JSON_TYPE, "transfer-encoding": "chunked" },
      body: `{"id":"1","name":"${"x".repeat(70 * 1024)}"}`,
      chunked: true,
    },
  ],
  ["a query string", { ...json('{"id":"1"}'), path: `${PATH}?x=1` }],
  ["a streaming content type", json('{"id":"1"}', { "content-type": "application/connect+json" })],
  ["another content type", json('{"id":"1"}', { "content-type": "text/plain" })],
  ["no content type", { headers: { "x-request-id": "req-1" }, body: '{"id":"1"}' }],
  ["a GET of a method with side effects", { ...json(""), method: "GET" }],
  ["a PUT", { ...json('{"id":"1"}'), method: "PUT" }],
];
