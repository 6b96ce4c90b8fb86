import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Message } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import { readJsonBody } from "./body.js";
import { HttpError, quote } from "./errors.js";
import { createResponder, type Exchange, type Responder } from "./exchange.js";
import { buildOpenApi } from "./openapi.js";
import { createRouter, type Router } from "./router.js";
import { deriveRoutes } from "./routes.js";
import { serviceBindings, type UpstreamName } from "./services.js";
import { compileTranscoder, type Transcoder } from "./transcode.js";
import type { Upstream } from "./upstream.js";

/** Tunables of the gateway's request handling. */
export interface GatewayOptions {
  /** Largest accepted request body; more gets 413. */
  readonly maxBodyBytes: number;
  /** The version shown in /openapi.json. */
  readonly apiVersion: string;
}

/** What the gateway needs from its composition root (main.ts or a test). */
export interface GatewayDeps {
  readonly upstreams: Readonly<Record<UpstreamName, Upstream>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly options?: Partial<GatewayOptions>;
}

/** A node:http request listener serving every annotated REST path plus the gateway's own. */
export type Gateway = (req: IncomingMessage, res: ServerResponse) => void;

const defaults: GatewayOptions = { maxBodyBytes: 1024 * 1024, apiVersion: "1.0.0" };
const validRequestId = /^[\x21-\x7e]{1,128}$/;

/**
 * Builds the gateway: derives the routes from the services' `google.api.http` annotations and
 * compiles them once; each request then costs a trie walk, transcoding and one upstream call (a
 * server-streaming RPC is answered as newline-delimited JSON for as long as its stream lasts).
 * Every response carries `X-Request-Id`; every error uses the Connect error JSON shape; bad input
 * gets a 4xx, never a 5xx. Throws at start-up when an annotation is unusable.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const options = { ...defaults, ...deps.options };
  const transcoders = deriveRoutes(serviceBindings).map(compileTranscoder);
  checkUpstreams(transcoders, deps.upstreams);
  const openapi = JSON.stringify(buildOpenApi(transcoders, options.apiVersion));
  const gateway: Compiled = {
    router: createRouter(transcoders),
    builtins: builtinEndpoints(deps.metrics, openapi),
    upstreams: deps.upstreams,
    responder: createResponder(deps.logger, deps.metrics),
    maxBodyBytes: options.maxBodyBytes,
  };
  return (req, res) => {
    const url = req.url ?? "/";
    const mark = url.indexOf("?");
    const exchange: Exchange = {
      res,
      requestId: requestIdOf(req.headers["x-request-id"]),
      method: req.method ?? "GET",
      label: "unmatched",
      started: performance.now(),
    };
    const path = mark < 0 ? url : url.slice(0, mark);
    const query = mark < 0 ? "" : url.slice(mark + 1);
    handle(gateway, exchange, req, path, query)
      .catch((error: unknown) => gateway.responder.fail(exchange, error))
      .catch((error: unknown) => {
        // Even the error reply failed (e.g. headers already sent): drop the connection, stay up.
        deps.logger.error({ err: error, requestId: exchange.requestId }, "reply failed");
        res.destroy();
      });
  };
}

/** Everything a request needs, built once at start-up. */
interface Compiled {
  readonly router: Router<Transcoder>;
  readonly builtins: ReadonlyMap<string, Builtin>;
  readonly upstreams: Readonly<Record<string, Upstream>>;
  readonly responder: Responder;
  readonly maxBodyBytes: number;
}

async function handle(
  gateway: Compiled,
  exchange: Exchange,
  req: IncomingMessage,
  path: string,
  query: string,
): Promise<void> {
  const builtin = gateway.builtins.get(path);
  if (builtin) {
    exchange.label = `GET ${path}`;
    if (exchange.method !== "GET") throw notAllowed(exchange.method, path, "GET");
    const [type, text] = await builtin();
    return gateway.responder.send(exchange, 200, text, type);
  }
  const match = gateway.router(exchange.method, path);
  if (match.kind === "none") {
    throw new HttpError(404, Code.NotFound, `no route for ${exchange.method} ${quote(path)}`);
  }
  if (match.kind === "method") throw notAllowed(exchange.method, path, match.allow);
  const { target: transcoder, segments } = match;
  const { route } = transcoder;
  exchange.label = route.label;
  const body = route.body ? await readJsonBody(req, gateway.maxBodyBytes) : undefined;
  const input = transcoder.decode(segments, query, body, req.headers);
  const upstream = gateway.upstreams[route.upstream] as Upstream;
  if (route.rpc.methodKind === "server_streaming") {
    // Ends the upstream stream when the caller goes away.
    const gone = new AbortController();
    exchange.res.once("close", () => gone.abort());
    const messages = upstream.stream(route.rpc, input, exchange.requestId, gone.signal);
    return gateway.responder.stream(exchange, ndjson(messages, transcoder));
  }
  const output = await upstream.call(route.rpc, input, exchange.requestId);
  gateway.responder.send(exchange, route.successStatus, transcoder.encode(output));
}

/** Each message as one line of newline-delimited JSON, `{"result":…}`, as grpc-gateway writes. */
async function* ndjson(messages: AsyncIterable<Message>, transcoder: Transcoder) {
  for await (const message of messages) yield `{"result":${transcoder.encode(message)}}\n`;
}

function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && validRequestId.test(header) ? header : randomUUID();
}

function notAllowed(method: string, path: string, allow: string): HttpError {
  const message = `method ${quote(method)} is not allowed on ${quote(path)}; allowed: ${allow}`;
  return new HttpError(405, Code.Unimplemented, message, { allow });
}

type Builtin = () => Promise<[contentType: string, text: string]>;

function builtinEndpoints(metrics: Metrics, openapi: string): Map<string, Builtin> {
  return new Map<string, Builtin>([
    ["/health", async () => ["application/json", '{"status":"ok"}']],
    ["/openapi.json", async () => ["application/json", openapi]],
    ["/metrics", async () => [metrics.registry.contentType, await metrics.registry.metrics()]],
  ]);
}

function checkUpstreams(
  transcoders: readonly Transcoder[],
  upstreams: Readonly<Record<string, Upstream>>,
) {
  for (const { route } of transcoders) {
    if (!upstreams[route.upstream])
      throw new Error(`no upstream "${route.upstream}" for ${route.label}`);
  }
}
