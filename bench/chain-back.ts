/**
 * The back of the bench's bare two-hop chain (issue 11, goal 2): the floor's read behind
 * node:http2 instead of node:http — one plaintext h2c server, one postgres.js pool of the floor's
 * size with prepared statements, the floor's SELECT, the row as JSON. No Connect, protobuf,
 * logging or metrics. Only bench/chain-front.ts calls it.
 *
 * Env: PORT, HOST, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_POOL_MAX (10).
 */
import http2 from "node:http2";
import { connectBenchProducts, SELECT_BY_ID } from "./lib/select-by-id.js";

const env = process.env;
const sql = connectBenchProducts(env);

const PATH = /^\/products\/(\d{1,19})$/;

// The stream API, not the compatibility one: the least node:http2 does per request.
const server = http2.createServer();
server.on("stream", (stream, headers) => {
  // A front that goes away resets its streams: nothing to answer, and no crash.
  stream.on("error", () => {});
  const path = headers[":path"] ?? "";
  const match = headers[":method"] === "GET" ? PATH.exec(path) : null;
  if (path === "/health") return send(stream, 200, '{"status":"ok"}');
  if (!match) return send(stream, 404, '{"code":"not_found","message":"no such route"}');
  sql.unsafe(SELECT_BY_ID, [match[1] as string], { prepare: true }).then(
    ([row]) =>
      row
        ? send(stream, 200, JSON.stringify(row))
        : send(stream, 404, '{"code":"not_found","message":"product not found"}'),
    () => send(stream, 500, '{"code":"internal","message":"internal error"}'),
  );
});

function send(stream: http2.ServerHttp2Stream, status: number, body: string): void {
  // The front may have reset the stream while the read ran.
  if (stream.destroyed) return;
  stream.respond({
    ":status": status,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  stream.end(body);
}

server.listen(Number(env.PORT ?? 8092), env.HOST ?? "127.0.0.1");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close();
    void sql.end({ timeout: 5 }).then(() => process.exit(0));
  });
}
