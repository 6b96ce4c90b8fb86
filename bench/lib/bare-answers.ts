import type http from "node:http";
import { type connectBenchProducts, SELECT_BY_ID } from "./select-by-id.js";

/** Sends a JSON answer: its HTTP status and body. */
export type Answer = (status: number, body: string) => void;

/** The body of a 404 for a path the bare servers do not serve. */
export const NO_ROUTE = '{"code":"not_found","message":"no such route"}';

const PATH = /^\/products\/(\d{1,19})$/;

/**
 * What the floor and the bare chain's back answer, so that both send the same bodies: `/health`;
 * for GET /products/{id} the row as JSON, 404 when there is none, 500 when the read fails; 404
 * for anything else.
 */
export function answerProductRequest(
  sql: ReturnType<typeof connectBenchProducts>,
  method: string | undefined,
  path: string,
  answer: Answer,
): void {
  const match = method === "GET" ? PATH.exec(path) : null;
  if (path === "/health") answer(200, '{"status":"ok"}');
  else if (!match) answer(404, NO_ROUTE);
  else
    sql.unsafe(SELECT_BY_ID, [match[1] as string], { prepare: true }).then(
      ([row]) =>
        row
          ? answer(200, JSON.stringify(row))
          : answer(404, '{"code":"not_found","message":"product not found"}'),
      () => answer(500, '{"code":"internal","message":"internal error"}'),
    );
}

/** A JSON answer on a node:http response, unless it was answered already. */
export function sendJson(res: http.ServerResponse, status: number, body: string | Buffer): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
