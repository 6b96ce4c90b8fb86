/**
 * The bench's floor: the least a Node process can do to answer `GET /products/{id}` from
 * PostgreSQL — one node:http server, one postgres.js pool of the product service's size with
 * prepared statements, the same SELECT the product service runs, the row as JSON. No framework,
 * no logging, no metrics. Every other bench row is compared with this one.
 *
 * Env: PORT, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_POOL_MAX (10).
 */
import http from "node:http";
import { answerProductRequest, sendJson } from "./lib/bare-answers.js";
import { connectBenchProducts } from "./lib/select-by-id.js";

const env = process.env;
const sql = connectBenchProducts(env);

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) =>
  answerProductRequest(sql, req.method, req.url ?? "", (status, body) =>
    sendJson(res, status, body),
  ),
);

server.listen(Number(env.PORT ?? 8090), env.HOST ?? "127.0.0.1");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeIdleConnections();
    void sql.end({ timeout: 5 }).then(() => process.exit(0));
  });
}
