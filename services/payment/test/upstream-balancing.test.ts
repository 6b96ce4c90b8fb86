import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport, type ServiceTransport } from "#shared/rpc/client";
import { defaultResilience } from "#shared/rpc/resilience-config";
import {
  bindService,
  type ServiceBinding,
  type ServiceServer,
  startServiceServer,
} from "#shared/server/service-server";
import { asService, testVerifier } from "#shared-test/auth";
import { createBasketReader } from "../src/clients/basket.js";
import { createProductCatalog } from "../src/clients/product-catalog.js";

// Payment's clients of product and basket, wired as main.ts wires them (createServiceTransport,
// retriesOnUnavailable 2), over two real instances of a stand-in server each.

const unused = () => {
  throw new Error("not used here");
};

/** A product instance that answers GetProduct and counts what it served. */
function products(served: { count: number }): ServiceBinding {
  return bindService(ProductService, {
    getProduct(req) {
      served.count++;
      return { product: { id: req.id, name: "mug", price: "3.50", category: "kitchen" } };
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

function baskets(served: { count: number }): ServiceBinding {
  return bindService(BasketService, {
    getBasket(req) {
      served.count++;
      return { basket: { id: `b-${req.userId}`, userId: req.userId, items: [], total: "0.00" } };
    },
    createBasket: unused,
    deleteBasket: unused,
    addItem: unused,
    updateItem: unused,
    removeItem: unused,
    clearItems: unused,
  });
}

/** An instance that can be stopped and started again on the same port. */
async function instance(binding: () => ServiceBinding, port = 0) {
  const start = (on: number) =>
    startServiceServer({
      name: "stand-in",
      host: "127.0.0.1",
      port: on,
      services: [binding()],
      logger: pino({ level: "silent" }),
      metrics: createMetrics(),
      isReady: async () => true,
      verifier: testVerifier,
    });
  let server: ServiceServer | undefined = await start(port);
  const fixed = server.port;
  return {
    url: `http://127.0.0.1:${fixed}`,
    stop: async () => {
      await server?.close(100);
      server = undefined;
    },
    restart: async () => {
      server = await start(fixed);
    },
  };
}

const running: { stop(): Promise<void> }[] = [];
const transports: ServiceTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await Promise.all(running.splice(0).map((each) => each.stop()));
});

async function pair(binding: (served: { count: number }) => ServiceBinding, service: string) {
  const served = [{ count: 0 }, { count: 0 }] as const;
  const [a, b] = await Promise.all(served.map((count) => instance(() => binding(count))));
  if (!a || !b) throw new Error("unreachable");
  running.push(a, b);
  const metrics = createMetrics();
  const transport = createServiceTransport({
    urls: [a.url, b.url],
    timeoutMs: 2000,
    retriesOnUnavailable: 2,
    interceptors: [asService("payment")],
    service,
    metrics,
    resilience: { ...defaultResilience, ejection: { afterFailures: 3, baseMs: 50, maxMs: 200 } },
  });
  transports.push(transport);
  const admitted = (url: string) =>
    transport.balancer.instances.find((each) => each.url === url)?.admitted;
  return { a, b, served, transport, metrics, admitted };
}

describe("payment's clients of other services", () => {
  it.each([
    ["product", products, (t: ServiceTransport) => createProductCatalog(t).getProduct(7n)],
    ["basket", baskets, (t: ServiceTransport) => createBasketReader(t).getBasket("ann")],
  ] as const)(
    "balance over %s instances, eject a stopped one and take it back",
    async (service, binding, call) => {
      const { a, served, transport, metrics, admitted } = await pair(binding, service);
      for (let i = 0; i < 10; i++) expect(await call(transport)).toBeDefined();
      expect(served[0].count).toBe(5);
      expect(served[1].count).toBe(5);

      await a.stop();
      for (let i = 0; i < 20; i++) expect(await call(transport)).toBeDefined();
      expect(admitted(a.url)).toBe(false);
      expect(served[1].count).toBe(25);
      const text = await metrics.registry.metrics();
      expect(text).toContain(
        `shop_upstream_ejections_total{service="${service}",instance="${a.url}"} 1`,
      );

      await a.restart();
      while (!admitted(a.url)) await call(transport);
      const before = served[0].count;
      for (let i = 0; i < 10; i++) await call(transport);
      expect(served[0].count).toBeGreaterThan(before);
    },
  );
});
