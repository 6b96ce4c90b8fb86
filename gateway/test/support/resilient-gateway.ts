import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { type Logger, pino } from "pino";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { createMetrics, type Metrics } from "#shared/metrics";
import { defaultResilience } from "#shared/rpc/resilience-config";
import { bindService } from "#shared/server/service-server";
import { testGatewayVerifier } from "#shared-test/auth";
import { startTestServer } from "#shared-test/service-harness";
import { createGateway } from "../../src/app.js";
import { balancedInstances } from "../../src/proxy/instances.js";
import { listenGateway } from "../../src/server.js";
import { createGrpcUpstream } from "../../src/upstream.js";
import { metricValue } from "./load.js";

export type GetProduct = (id: bigint, ctx: HandlerContext) => Promise<{ product: { id: bigint } }>;
export type Watch = ServiceImpl<typeof NotificationService>["watchNotifications"];

const unused = () => {
  throw new ConnectError("not used here", Code.Unimplemented);
};

/** A real product server whose GetProduct is `getProduct`; its other methods are Unimplemented. */
export function startFakeProduct(getProduct: GetProduct) {
  return startTestServer({
    services: [
      bindService(ProductService, {
        getProduct: (req, ctx) => getProduct(req.id, ctx),
        createProduct: unused,
        listProducts: unused,
        updateProduct: unused,
        deleteProduct: unused,
        listCategories: unused,
      }),
    ],
    isReady: async () => true,
  });
}

/**
 * The breaker the gateway tests use: open after 5 calls of which half failed, for 1 s of
 * `clock`. The test moves the clock itself, so no step depends on how fast the machine is.
 */
export function testResilience(clock?: () => number) {
  return {
    ...defaultResilience,
    breaker: { windowMs: 60_000, minimumCalls: 5, failureRatio: 0.5, openMs: 1000, now: clock },
  };
}

/**
 * Real product and notification servers whose GetProduct and WatchNotifications are the test's,
 * behind a real gateway port (HTTP/1.1 and h2c) wired as main.ts wires it: REST and proxied
 * calls share each upstream's balancer and circuit breaker (`balancedInstances`). The breakers
 * open after 5 calls of which half failed, and stay open 1 s of `clock` (the test moves it);
 * a proxied unary call's deadline is 200 ms.
 */
export async function startResilientGateway(setup: {
  getProduct: GetProduct;
  watch?: Watch;
  clock?: () => number;
  /** The gateway's logger; silent (or GATEWAY_TEST_LOG's level) unless given. */
  logger?: Logger;
}) {
  const closers: (() => Promise<unknown>)[] = [];
  const product = await startFakeProduct(setup.getProduct);
  closers.push(() => product.close(100));
  const notification = await startTestServer({
    services: [
      bindService(NotificationService, {
        listNotifications: unused,
        markRead: unused,
        watchNotifications: setup.watch ?? async function* () {},
      }),
    ],
    isReady: async () => true,
  });
  closers.push(() => notification.close(100));
  const metrics: Metrics = createMetrics();
  const resilience = testResilience(setup.clock);
  const upstream = (url: string, service: string) =>
    createGrpcUpstream([url], {
      timeoutMs: 5000,
      name: `${service} service`,
      service,
      metrics,
      resilience,
    });
  const upstreams = {
    product: upstream(product.baseUrl, "product"),
    notification: upstream(notification.baseUrl, "notification"),
    basket: upstream("http://127.0.0.1:9", "basket"),
    payment: upstream("http://127.0.0.1:9", "payment"),
  };
  for (const each of Object.values(upstreams)) closers.push(() => each.close());
  const level = process.env.GATEWAY_TEST_LOG ?? "silent";
  const gateway = createGateway({
    upstreams,
    logger: setup.logger ?? pino({ level }),
    metrics,
    verifier: testGatewayVerifier,
    instances: balancedInstances(upstreams),
    options: { proxyTimeoutMs: 200 },
  });
  const server = await listenGateway(gateway, 0, "127.0.0.1");
  closers.push(async () => {
    await server.close(100);
    gateway.close();
  });
  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    server,
    gateway,
    metric: async (prefix: string) => metricValue(await metrics.registry.metrics(), prefix),
    metricsText: () => metrics.registry.metrics(),
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
