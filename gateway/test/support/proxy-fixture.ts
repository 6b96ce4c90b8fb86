import type { AddressInfo } from "node:net";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { pino } from "pino";
import { Health, HealthCheckResponse_ServingStatus as Status } from "#gen/health/v1/health_pb";
import { createMetrics } from "#shared/metrics";
import { createDrain } from "#shared/server/drain";
import { createOnePortServer } from "#shared/server/one-port";
import { testGatewayVerifier } from "#shared-test/auth";
import type { Admission } from "../../src/admission.js";
import { createGateway, type GatewayOptions } from "../../src/app.js";
import type { RateLimiter } from "../../src/rate-limit.js";
import type { ServiceBinding } from "../../src/routes.js";
import { listenGateway } from "../../src/server.js";
import { serviceBindings } from "../../src/services.js";
import { createGrpcUpstream } from "../../src/upstream.js";

/** What the watcher upstream saw. */
export interface Watched {
  started: number;
  aborted: number;
  /** The request headers of the last Watch call. */
  headers: Headers;
}

/**
 * A streaming upstream: grpc.health.v1.Health whose Watch yields SERVING then NOT_SERVING and
 * ends — or, for the service name "forever", stays open after them until the call is cancelled.
 */
export async function startWatcher(): Promise<{
  baseUrl: string;
  seen: Watched;
  close(): Promise<void>;
}> {
  const seen: Watched = { started: 0, aborted: 0, headers: new Headers() };
  const impl: ServiceImpl<typeof Health> = {
    async check() {
      return { status: Status.SERVING };
    },
    async list() {
      return { statuses: {} };
    },
    async *watch(req, ctx) {
      seen.started++;
      seen.headers = ctx.requestHeader;
      ctx.signal.addEventListener("abort", () => seen.aborted++);
      yield { status: Status.SERVING };
      yield { status: Status.NOT_SERVING };
      if (req.service === "forever") {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      }
    },
  };
  const drain = createDrain();
  const adapter = connectNodeAdapter({ routes: (r) => r.service(Health, impl) });
  const server = createOnePortServer(drain.wrap(adapter));
  drain.watch(server);
  await new Promise<void>((resolve) => server.listener.listen(0, "127.0.0.1", resolve));
  const { port } = server.listener.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, seen, close: () => drain.close(100) };
}

/** The services the test gateways proxy: the registry's, plus Health served by "watcher". */
export const proxiedForTests: readonly ServiceBinding[] = [
  ...serviceBindings,
  { service: Health, upstream: "watcher" },
];

/**
 * A gateway on a free port (HTTP/1.1 and h2c) whose REST routes and proxied procedures go to
 * `urls` (upstream name → base URL), with Health proxied to the "watcher" upstream.
 */
export async function startProxyGateway(setup: {
  urls: Readonly<Record<string, string>>;
  options?: Partial<GatewayOptions>;
  admission?: Admission;
  rateLimiter?: RateLimiter;
}) {
  const productUrl = setup.urls.product ?? "http://127.0.0.1:9";
  const rest = createGrpcUpstream([productUrl], { timeoutMs: 5000, name: "product service" });
  const gateway = createGateway({
    upstreams: { product: rest, basket: rest, payment: rest, notification: rest },
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    verifier: testGatewayVerifier,
    instanceUrls: Object.fromEntries(
      Object.entries(setup.urls).map(([name, url]) => [name, [url]]),
    ),
    proxied: proxiedForTests,
    options: setup.options,
    admission: setup.admission,
    rateLimiter: setup.rateLimiter,
  });
  const server = await listenGateway(gateway, 0, "127.0.0.1");
  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.close(100);
      gateway.close();
      await rest.close();
    },
  };
}
