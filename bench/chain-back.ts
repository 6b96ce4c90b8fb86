/**
 * The back of the bench's bare two-hop chain (issue 11, goal 2): the floor's read behind
 * node:http2 instead of node:http — one plaintext h2c server, one postgres.js pool of the floor's
 * size with prepared statements, the floor's SELECT, the row as JSON. No Connect, protobuf,
 * logging or metrics. Only bench/chain-front.ts calls it.
 *
 * Env: PORT, HOST, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_POOL_MAX (10).
 */
import http2 from "node:http2";
import { answerProductRequest } from "./lib/bare-answers.js";
import { connectBenchProducts } from "./lib/select-by-id.js";

const env = process.env;
const sql = connectBenchProducts(env);

// The stream API, not the compatibility one: the least node:http2 does per request.
const server = http2.createServer();
server.on("stream", (stream, headers) => {
  // A front that goes away resets its streams: nothing to answer, and no crash.
  stream.on("error", () => {});
  answerProductRequest(sql, headers[":method"], headers[":path"] ?? "", (status, body) =>
    send(stream, status, body),
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
