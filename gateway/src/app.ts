import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ANONYMOUS } from "#shared/auth/caller";
import type { Verifier } from "#shared/auth/verifier";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import {
  type RpcWireForm,
  rpcWireFormOf,
  writeUnknownProcedure,
  writeWireError,
} from "#shared/rpc/wire-errors";
import type { NodeHandler, NodeRequest } from "#shared/server/one-port";
import { type Admission, type AdmissionRequest, admitAll, pathParamsOf } from "./admission.js";
import { createGatewayAuth, type GatewayAuth } from "./auth.js";
import { readJsonBody } from "./body.js";
import { DEV_SIGN_IN_PATH, type DevSignIn } from "./dev-sign-in.js";
import { type AllowedOrigins, applyEdgeHeaders } from "./edge-headers.js";
import { HttpError, httpStatusOf, httpStatusOfCode, quote } from "./errors.js";
import { createResponder, type Exchange, type Responder } from "./exchange.js";
import { hangUpSignal } from "./hang-up.js";
import { buildOpenApi } from "./openapi.js";
import { firstInstance, type InstancePicker } from "./proxy/instances.js";
import { createProxy, type RpcProxy } from "./proxy/proxy.js";
import type { RateLimiter } from "./rate-limit.js";
import { rateLimitAdmission } from "./rate-limit-admission.js";
import { createGatewayReflection, type GatewayReflection } from "./reflection.js";
import { createRouter, type Router } from "./router.js";
import { deriveRoutes, type ServiceBinding } from "./routes.js";
import { serviceBindings, type UpstreamName } from "./services.js";
import { type StaticFile, type StaticFiles, writeStaticFile } from "./static-files.js";
import { compileTranscoder, type Transcoder } from "./transcode.js";
import type { Upstream } from "./upstream.js";

/** Tunables of the gateway's request handling. */
export interface GatewayOptions {
  /** Largest accepted request body; more gets 413. */
  readonly maxBodyBytes: number;
  /** The version shown in /openapi.json. */
  readonly apiVersion: string;
  /** Browser origins CORS lets call (CORS_ALLOWED_ORIGINS); empty: same origin only. */
  readonly allowedOrigins: AllowedOrigins;
  /** The deadline cap of a proxied unary call (UPSTREAM_TIMEOUT_MS). */
  readonly proxyTimeoutMs: number;
  /** Peers whose `X-Forwarded-For` names the client (see client-ip.ts); default none. */
  readonly trustedProxies: ReadonlySet<string>;
}

/** What the gateway needs from its composition root (main.ts or a test). */
export interface GatewayDeps {
  readonly upstreams: Readonly<Record<UpstreamName, Upstream>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Checks bearer tokens, as the services do (see auth.ts). */
  readonly verifier: Verifier;
  /** Counts every routed request; absent when rate limiting is off. */
  readonly rateLimiter?: RateLimiter | undefined;
  readonly options?: Partial<GatewayOptions>;
  /**
   * Which instance a proxied call goes to; by default the first of `instanceUrls`. The balancer
   * of upstream.ts plugs in here.
   */
  readonly instances?: InstancePicker;
  /** Each upstream's instance base URLs, for the default picker. */
  readonly instanceUrls?: Readonly<Record<string, readonly string[]>>;
  /** Authentication and rate limiting: every request passes it before dispatch. */
  readonly admission?: Admission;
  /** The services the gRPC/gRPC-Web/Connect proxy serves; the registry's by default. */
  readonly proxied?: readonly ServiceBinding[];
  /** The storefront's files, served at `/` (see static-files.ts); none by default. */
  readonly web?: StaticFiles;
  /** Development sign-in at POST /dev/token; absent (404, as any unknown path) unless set. */
  readonly devSignIn?: DevSignIn;
}

/**
 * A node:http and node:http2 request handler serving every annotated REST path, the gRPC,
 * gRPC-Web and Connect paths of every service, and the gateway's own. `drain()` (at shutdown)
 * ends every stream under way — NDJSON watches with a last `{"error":…}` line, proxied server
 * streams with Unavailable in their protocol — cleanly, and resolves once they have ended;
 * `close()` closes the proxy's upstream connections.
 */
export type Gateway = NodeHandler & { drain(): Promise<void>; close(): void };

const SHUTTING_DOWN = "the gateway is shutting down; call again to reach another";

const defaults: GatewayOptions = {
  maxBodyBytes: 1024 * 1024,
  apiVersion: "1.0.0",
  allowedOrigins: new Set(),
  proxyTimeoutMs: 5000,
  trustedProxies: new Set(),
};
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
  const limits = deps.rateLimiter ? "on" : "off";
  const proxied = deps.proxied ?? serviceBindings;
  const openapi = JSON.stringify(buildOpenApi(transcoders, options.apiVersion, { limits }));
  const router = createRouter(transcoders);
  const builtins = builtinEndpoints(deps.metrics, openapi);
  const web = deps.web ?? new Map<string, StaticFile>();
  checkNoShadowing(web, router, builtins, deps.devSignIn !== undefined);
  const gateway: Compiled = {
    router,
    builtins,
    web,
    devSignIn: deps.devSignIn,
    upstreams: deps.upstreams,
    auth: createGatewayAuth(deps.verifier),
    responder: createResponder(deps.logger, deps.metrics),
    maxBodyBytes: options.maxBodyBytes,
    admission:
      deps.admission ??
      (deps.rateLimiter ? rateLimitAdmission(deps.rateLimiter, options.trustedProxies) : admitAll),
    shutdown: new AbortController(),
    streams: new Set(),
    reflection: createGatewayReflection(proxied.map(({ service }) => service)),
    proxy: createProxy({
      bindings: proxied,
      instances: deps.instances ?? firstInstance(deps.instanceUrls ?? {}),
      maxBodyBytes: options.maxBodyBytes,
      unaryTimeoutMs: options.proxyTimeoutMs,
    }),
  };
  const handler: NodeHandler = (req, res) => {
    const url = req.url ?? "/";
    const mark = url.indexOf("?");
    const exchange: Exchange = {
      res,
      requestId: requestIdOf(req.headers["x-request-id"]),
      method: req.method ?? "GET",
      label: "unmatched",
      started: performance.now(),
      caller: ANONYMOUS,
    };
    res.setHeader("x-request-id", exchange.requestId);
    const edge = applyEdgeHeaders(req, res, options.allowedOrigins);
    if (edge !== "dispatch") return answerPreflight(gateway, exchange, edge);
    const path = mark < 0 ? url : url.slice(0, mark);
    const query = mark < 0 ? "" : url.slice(mark + 1);
    handle(gateway, exchange, req, path, query)
      .catch((error: unknown) => fail(gateway, exchange, error))
      .catch((error: unknown) => {
        // Even the error reply failed (e.g. headers already sent): drop the connection, stay up.
        deps.logger.error({ err: error, requestId: exchange.requestId }, "reply failed");
        res.destroy();
      });
  };
  const drain = async () => {
    gateway.shutdown.abort(new ConnectError(SHUTTING_DOWN, Code.Unavailable));
    await Promise.all([gateway.proxy.drain(), ...gateway.streams]);
  };
  return Object.assign(handler, { drain, close: () => gateway.proxy.close() });
}

/** Everything a request needs, built once at start-up. */
interface Compiled {
  readonly router: Router<Transcoder>;
  readonly builtins: ReadonlyMap<string, Builtin>;
  readonly web: StaticFiles;
  readonly devSignIn: DevSignIn | undefined;
  readonly upstreams: Readonly<Record<string, Upstream>>;
  readonly auth: GatewayAuth;
  readonly responder: Responder;
  readonly maxBodyBytes: number;
  readonly admission: Admission;
  readonly proxy: RpcProxy;
  readonly reflection: GatewayReflection;
  /** Aborted by `drain()`: NDJSON streams end on it. */
  readonly shutdown: AbortController;
  /** The NDJSON streams under way, each until it has ended. */
  readonly streams: Set<Promise<void>>;
}

/**
 * Resolves what the request is for, admits it (authentication, limits) in this one place for
 * every kind of request, then dispatches it to a builtin, a REST route or the proxy.
 */
async function handle(
  gateway: Compiled,
  exchange: Exchange,
  req: NodeRequest,
  path: string,
  query: string,
): Promise<void> {
  if (gateway.reflection.handles(path)) return reflect(gateway, exchange, req, path);
  const target = gateway.proxy.resolve(req, path);
  if (target) {
    exchange.form = target.form;
    exchange.label = target.kind === "procedure" ? target.procedure.path : "unknown procedure";
    const rpc = target.kind === "procedure" ? target.procedure.method : undefined;
    await admit(gateway, exchange, req, "rpc", rpc);
    if (target.kind === "unknown") {
      writeUnknownProcedure(exchange.res, target.form, target.error);
      return gateway.responder.record(exchange, httpStatusOfCode(target.error.code));
    }
    return gateway.proxy.serve({
      req,
      res: exchange.res,
      procedure: target.procedure,
      form: target.form,
      requestId: exchange.requestId,
      onEnd: ({ code, error }) => gateway.responder.record(exchange, httpStatusOfCode(code), error),
    });
  }
  const builtin = gateway.builtins.get(path);
  if (builtin) {
    exchange.label = `GET ${path}`;
    if (exchange.method !== "GET") throw notAllowed(exchange.method, path, "GET");
    await admit(gateway, exchange, req, "builtin");
    const [type, text, headers] = await builtin();
    return gateway.responder.send(exchange, 200, text, type, headers);
  }
  const file = gateway.web.get(path);
  if (file) return serveFile(gateway, exchange, req, path, file);
  if (path === DEV_SIGN_IN_PATH && gateway.devSignIn) {
    exchange.label = `POST ${DEV_SIGN_IN_PATH}`;
    if (exchange.method !== "POST") throw notAllowed(exchange.method, path, "POST");
    await admit(gateway, exchange, req, "builtin");
    const body = await readJsonBody(req as IncomingMessage, gateway.maxBodyBytes);
    const signedIn = await gateway.devSignIn(body);
    return gateway.responder.send(exchange, 200, JSON.stringify(signedIn));
  }
  const match = gateway.router(exchange.method, path);
  if (match.kind === "none") {
    throw new HttpError(404, Code.NotFound, `no route for ${exchange.method} ${quote(path)}`);
  }
  if (match.kind === "method") throw notAllowed(exchange.method, path, match.allow);
  const { target: transcoder, segments } = match;
  const { route } = transcoder;
  exchange.label = route.label;
  const credential = await admit(gateway, exchange, req, "rest", route.rpc, () =>
    pathParamsOf(route.path.variables, segments),
  );
  const body = route.body
    ? await readJsonBody(req as IncomingMessage, gateway.maxBodyBytes)
    : undefined;
  const input = transcoder.decode(segments, query, body, req.headers);
  const upstream = gateway.upstreams[route.upstream] as Upstream;
  const signal = hangUpSignal(exchange.res);
  if (route.rpc.methodKind === "server_streaming") {
    const { shutdown, streams } = gateway;
    if (shutdown.signal.aborted) throw shutdown.signal.reason;
    const both = AbortSignal.any([signal, shutdown.signal]);
    const messages = upstream.stream(route.rpc, input, exchange.requestId, credential, both);
    const streamed = gateway.responder.stream(
      exchange,
      ndjson(messages, transcoder, shutdown.signal),
    );
    const ended = streamed.catch(() => {});
    streams.add(ended);
    return streamed.finally(() => streams.delete(ended));
  }
  const output = await upstream
    .call(route.rpc, input, exchange.requestId, credential, signal)
    .catch(gateway.auth.answer);
  gateway.responder.send(exchange, route.successStatus, transcoder.encode(output));
}

/**
 * Answers server reflection from the gateway's own descriptors: public and, like the other
 * built-ins, not counted against rate limits. Logged and counted once the call has ended.
 */
async function reflect(gateway: Compiled, exchange: Exchange, req: NodeRequest, path: string) {
  exchange.label = path;
  exchange.form = rpcWireFormOf(req);
  await admit(gateway, exchange, req, "builtin");
  const { res } = exchange;
  res.once("close", () => {
    gateway.responder.record(
      exchange,
      res.writableFinished ? 200 : httpStatusOfCode(Code.Canceled),
    );
  });
  gateway.reflection.serve(req, res);
}

/**
 * Admits a request: authenticates the caller of its RPC (the services authorize), then counts it
 * against the rate limits — per user once verified, else per client address, so a flood of bad
 * tokens is limited too — and only then reports an authentication failure. The headers the limits
 * add (`RateLimit-*`) go on whatever the answer is. Resolves the `authorization` to forward.
 */
async function admit(
  gateway: Compiled,
  exchange: Exchange,
  req: NodeRequest,
  kind: AdmissionRequest["kind"],
  rpc?: AdmissionRequest["rpc"],
  pathParamsOf?: () => Record<string, string>,
): Promise<string | undefined> {
  let credential: string | undefined;
  let refused: unknown;
  if (rpc) {
    const { authorization } = req.headers;
    try {
      credential = await gateway.auth.authenticate(exchange, authorization, rpc);
    } catch (error) {
      refused = error;
    }
  }
  // Without limits (admitAll) there is nothing to ask: no request to build, no turn to wait.
  const added =
    gateway.admission === admitAll
      ? undefined
      : await gateway.admission(admissionRequest(exchange, req, kind, rpc, pathParamsOf));
  if (added) for (const name in added) exchange.res.setHeader(name, added[name] as string);
  if (refused) throw refused;
  return credential;
}

/** What the admission step is told. */
function admissionRequest(
  exchange: Exchange,
  req: NodeRequest,
  kind: AdmissionRequest["kind"],
  rpc: AdmissionRequest["rpc"],
  pathParamsOf: (() => Record<string, string>) | undefined,
): AdmissionRequest {
  const { caller } = exchange;
  return {
    kind,
    rpc,
    httpMethod: kind === "rest" ? exchange.method : undefined,
    label: exchange.label,
    // Decoded here, not on demand: a getter (lazy-fields.ts) costs more than the decoding.
    pathParams: pathParamsOf ? pathParamsOf() : {},
    req,
    subject: caller.kind === "user" ? caller.subject : undefined,
    requestId: exchange.requestId,
  };
}

/** A file of the storefront: GET and HEAD only, labelled by kind so metrics stay bounded. */
async function serveFile(
  gateway: Compiled,
  exchange: Exchange,
  req: NodeRequest,
  path: string,
  file: StaticFile,
) {
  exchange.label = file.immutable ? "GET (asset)" : "GET (page)";
  if (exchange.method !== "GET" && exchange.method !== "HEAD") {
    throw notAllowed(exchange.method, path, "GET, HEAD");
  }
  await admit(gateway, exchange, req, "builtin");
  const status = writeStaticFile(exchange.res, file, {
    method: exchange.method,
    ifNoneMatch: req.headers["if-none-match"],
    acceptEncoding: req.headers["accept-encoding"],
  });
  gateway.responder.record(exchange, status);
}

/**
 * Start-up check that the storefront takes no path of the API: a file may not sit where a REST
 * route, a builtin or the sign-in endpoint is (the proxied RPC paths are matched before files).
 */
function checkNoShadowing(
  web: StaticFiles,
  router: Router<Transcoder>,
  builtins: ReadonlyMap<string, Builtin>,
  devSignIn: boolean,
) {
  for (const path of web.keys()) {
    const taken =
      router("GET", path).kind !== "none" ||
      builtins.has(path) ||
      (devSignIn && path === DEV_SIGN_IN_PATH);
    if (taken) throw new Error(`the storefront file ${path} would hide an API path`);
  }
}

/** An error answer: in the RPC protocol's own form for an RPC request, else the Connect JSON. */
function fail(gateway: Compiled, exchange: Exchange, thrown: unknown): void {
  const form: RpcWireForm | undefined = exchange.form;
  if (!form || !(thrown instanceof ConnectError)) {
    gateway.responder.fail(exchange, thrown);
    return;
  }
  if (exchange.res.headersSent) throw thrown;
  const headers = thrown instanceof HttpError ? thrown.headers : undefined;
  writeWireError(exchange.res, form, thrown, { headers });
  gateway.responder.record(exchange, httpStatusOf(thrown), thrown);
}

/** A CORS preflight: 204 with the CORS headers, or 403 for an origin not on the list. */
function answerPreflight(
  gateway: Compiled,
  exchange: Exchange,
  edge: "preflight" | "preflight-refused",
) {
  exchange.label = "OPTIONS (CORS preflight)";
  if (edge === "preflight") {
    exchange.res.writeHead(204);
    exchange.res.end();
    return gateway.responder.record(exchange, 204);
  }
  const error = new HttpError(403, Code.PermissionDenied, "this origin may not call the API");
  gateway.responder.fail(exchange, error);
}

/**
 * Each message as one line of newline-delimited JSON, `{"result":…}`, as grpc-gateway does. At
 * shutdown the stream ends with Unavailable (the last line says so), not with the cancellation.
 */
async function* ndjson(
  messages: AsyncIterable<Message>,
  transcoder: Transcoder,
  shutdown: AbortSignal,
) {
  try {
    for await (const message of messages) yield `{"result":${transcoder.encode(message)}}\n`;
  } catch (error) {
    throw shutdown.aborted ? shutdown.reason : error;
  }
}

function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && validRequestId.test(header) ? header : randomUUID();
}

function notAllowed(method: string, path: string, allow: string): HttpError {
  const message = `method ${quote(method)} is not allowed on ${quote(path)}; allowed: ${allow}`;
  return new HttpError(405, Code.Unimplemented, message, { allow });
}

type Builtin = () => Promise<
  [contentType: string, text: string, headers?: Readonly<Record<string, string>>]
>;
/** The OpenAPI document changes only with a deploy: caches may keep it a few minutes. */
const openapiCaching = { "cache-control": "public, max-age=300" };

function builtinEndpoints(metrics: Metrics, openapi: string): Map<string, Builtin> {
  return new Map<string, Builtin>([
    ["/health", async () => ["application/json", '{"status":"ok"}']],
    ["/openapi.json", async () => ["application/json", openapi, openapiCaching]],
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
