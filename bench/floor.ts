/**
 * The bench's floor: the least a Node process can do to answer `GET /products/{id}` from
 * PostgreSQL — one node:http server, one postgres.js pool of the product service's size with
 * prepared statements, the same SELECT the product service runs, the row as JSON. No framework,
 * no logging, no metrics. Every other bench row is compared with this one.
 *
 * Env: PORT, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_POOL_MAX (10).
 */
import http from "node:http";
import { connectBenchProducts, SELECT_BY_ID } from "./lib/select-by-id.js";

const env = process.env;
const sql = connectBenchProducts(env);

const PATH = /^\/products\/(\d{1,19})$/;

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const match = req.method === "GET" ? PATH.exec(req.url ?? "") : null;
  if (req.url === "/health") return send(res, 200, '{"status":"ok"}');
  if (!match) return send(res, 404, '{"code":"not_found","message":"no such route"}');
  sql.unsafe(SELECT_BY_ID, [match[1] as string], { prepare: true }).then(
    ([row]) =>
      row
        ? send(res, 200, JSON.stringify(row))
        : send(res, 404, '{"code":"not_found","message":"product not found"}'),
    () => send(res, 500, '{"code":"internal","message":"internal error"}'),
  );
});

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

server.listen(Number(env.PORT ?? 8090), env.HOST ?? "127.0.0.1");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeIdleConnections();
    void sql.end({ timeout: 5 }).then(() => process.exit(0));
  });
}
