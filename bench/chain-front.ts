/**
 * The front of the bench's bare two-hop chain (issue 11, goal 2): what our gateway does for
 * `GET /products/{id}` with nothing of ours in it — one node:http server that makes each such
 * request one request on ONE shared HTTP/2 (h2c) session to bench/chain-back.ts (as the gateway
 * keeps one session per upstream) and relays its status and body. No framework, Connect,
 * protobuf, logging or metrics. `/health` is relayed too, so the front is ready when the back is.
 *
 * Env: PORT, HOST, BACK_URL (http://127.0.0.1:8092).
 */
import http from "node:http";
import http2 from "node:http2";
import { NO_ROUTE, sendJson } from "./lib/bare-answers.js";

const env = process.env;
const BACK_URL = env.BACK_URL ?? "http://127.0.0.1:8092";

const PATH = /^\/products\/\d{1,19}$/;

let session: http2.ClientHttp2Session | undefined;

/** The shared session, opened again on the next request after the last one closed or failed. */
function back(): http2.ClientHttp2Session {
  if (session && !session.closed && !session.destroyed) return session;
  const opened = http2.connect(BACK_URL);
  const forget = () => {
    if (session === opened) session = undefined;
  };
  // Each stream reports a failure itself; an unheard 'error' would crash the process.
  opened.on("error", () => {});
  opened.once("goaway", forget);
  opened.once("close", forget);
  session = opened;
  return opened;
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const url = req.url ?? "";
  if (url === "/health" || (req.method === "GET" && PATH.test(url))) return relay(url, res);
  sendJson(res, 404, NO_ROUTE);
});

function relay(path: string, res: http.ServerResponse): void {
  let stream: http2.ClientHttp2Stream;
  try {
    stream = back().request({ ":path": path });
  } catch {
    // A session that can take no new stream (GOAWAY on its way): the next request opens one.
    session = undefined;
    sendJson(res, 502, '{"code":"unavailable","message":"upstream unavailable"}');
    return;
  }
  let status = 502;
  const chunks: Buffer[] = [];
  stream.on("response", (headers) => {
    status = headers[":status"] ?? 502;
  });
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => sendJson(res, status, Buffer.concat(chunks)));
  stream.on("error", () =>
    sendJson(res, 502, '{"code":"unavailable","message":"upstream failed"}'),
  );
}

server.listen(Number(env.PORT ?? 8093), env.HOST ?? "127.0.0.1");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeIdleConnections();
    session?.close();
    process.exit(0);
  });
}
