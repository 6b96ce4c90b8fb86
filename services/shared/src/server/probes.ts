import type http from "node:http";
import type { Metrics } from "../metrics.js";
import type { NodeRequest, NodeResponse } from "./one-port.js";

type Request = NodeRequest;
type Response = NodeResponse;

/**
 * Plain HTTP endpoints beside the RPCs: GET /health (the process is alive), GET /ready (its
 * stores answer; 503 otherwise) and GET /metrics (Prometheus text). Anything else is 404.
 */
export function createProbes(deps: { isReady: () => Promise<boolean>; metrics: Metrics }) {
  return (req: Request, res: Response): void => {
    const path = req.url?.split("?", 1)[0];
    if ((req.method === "GET" || req.method === "HEAD") && path === "/health") {
      send(res, 200, { status: "ok" });
    } else if ((req.method === "GET" || req.method === "HEAD") && path === "/ready") {
      deps.isReady().then(
        (ready) => send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready" }),
        () => send(res, 503, { status: "not ready" }),
      );
    } else if (req.method === "GET" && path === "/metrics") {
      deps.metrics.registry.metrics().then(
        (text) => send(res, 200, text, deps.metrics.registry.contentType),
        () => send(res, 500, { status: "metrics unavailable" }),
      );
    } else {
      send(res, 404, { status: "not found" });
    }
  };
}

function send(res: Response, status: number, body: unknown, type = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  (res as http.ServerResponse).writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
