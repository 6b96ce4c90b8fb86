import { request } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "#shared/metrics";
import { createGrpcUpstream } from "../src/upstream.js";
import { listenGateway, metricValue } from "./support/load.js";
import { type GetProduct, startFakeProduct, testResilience } from "./support/resilient-gateway.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A real product server whose GetProduct is `getProduct`, behind a real gateway. */
async function start(
  getProduct: GetProduct,
  options: { timeoutMs?: number; unaryGrpcFastPath?: boolean; clock?: () => number } = {},
) {
  const server = await startFakeProduct(getProduct);
  closers.push(() => server.close(100));
  const metrics: Metrics = createMetrics();
  const upstream = createGrpcUpstream([server.baseUrl], {
    timeoutMs: options.timeoutMs ?? 5000,
    name: "product service",
    service: "product",
    unaryGrpcFastPath: options.unaryGrpcFastPath,
    metrics,
    resilience: testResilience(options.clock),
  });
  closers.push(() => upstream.close());
  const unusedUpstream = createGrpcUpstream(["http://127.0.0.1:1"], { timeoutMs: 1000 });
  const gateway = await listenGateway(
    {
      product: upstream,
      basket: unusedUpstream,
      payment: unusedUpstream,
      notification: unusedUpstream,
    },
    metrics,
  );
  closers.push(() => gateway.close());
  const get = async () => {
    const res = await fetch(`${gateway.base}/products/1`);
    return { status: res.status, json: await res.json() };
  };
  const metric = async (prefix: string) => metricValue(await metrics.registry.metrics(), prefix);
  return { get, metric, base: gateway.base };
}

describe("the circuit breaker over an upstream service", () => {
  it("opens on server errors, fails fast without calling while open, and closes after a good probe", async () => {
    let failing = true;
    let served = 0;
    let now = 0;
    const { get, metric } = await start(
      async (id) => {
        served++;
        if (failing) throw new ConnectError("disk on fire", Code.Internal);
        return { product: { id } };
      },
      { clock: () => now },
    );
    const state = () => metric('shop_upstream_breaker_state{service="product"}');

    for (let i = 0; i < 5; i++) expect((await get()).status).toBe(500);
    expect(await state()).toBe(2);

    const servedWhenOpened = served;
    for (let i = 0; i < 10; i++) {
      const reply = await get();
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({
        code: "unavailable",
        message: "product service is unavailable",
      });
    }
    expect(served).toBe(servedWhenOpened);
    expect(
      await metric('shop_upstream_breaker_rejections_total{service="product"}'),
    ).toBeGreaterThanOrEqual(10);

    // Once the open time has passed, one call probes: a failed probe opens it again…
    now += 1000;
    expect((await get()).status).toBe(500);
    expect(served).toBe(servedWhenOpened + 1);
    expect(await state()).toBe(2);
    expect((await get()).status).toBe(503);
    // …and a good one closes it.
    failing = false;
    now += 1000;
    expect((await get()).status).toBe(200);
    expect(await state()).toBe(0);
    for (let i = 0; i < 5; i++) expect((await get()).status).toBe(200);
  });

  it("counts refusals such as NotFound as answers, never opening", async () => {
    const { get, metric } = await start(async (id) => {
      throw new ConnectError(`product ${id} not found`, Code.NotFound);
    });
    for (let i = 0; i < 20; i++) expect((await get()).status).toBe(404);
    expect(await metric('shop_upstream_breaker_state{service="product"}')).toBe(0);
  });
});

describe.each([
  ["the lean gRPC client", true],
  ["connect-node's transport", false],
])("an upstream call through %s", (_, unaryGrpcFastPath) => {
  /** A GetProduct that never answers and reports when it started and when it was cancelled. */
  function hanging() {
    const entered = Promise.withResolvers<void>();
    const cancelled = Promise.withResolvers<void>();
    const getProduct: GetProduct = (_id, ctx) => {
      entered.resolve();
      ctx.signal.addEventListener("abort", () => cancelled.resolve());
      return new Promise(() => {});
    };
    return { getProduct, entered: entered.promise, cancelled: cancelled.promise };
  }

  it("is cancelled on the server when the REST client hangs up", async () => {
    const handler = hanging();
    // A deadline far beyond the test's own timeout: only the hang-up can cancel the call in time.
    const { base } = await start(handler.getProduct, { unaryGrpcFastPath, timeoutMs: 600_000 });
    const req = request(`${base}/products/1`);
    req.on("error", () => {});
    req.end();
    await handler.entered;
    req.destroy();
    await handler.cancelled;
  });

  it("has a deadline: 504, and the server sees the call cancelled", async () => {
    const handler = hanging();
    const { get } = await start(handler.getProduct, { unaryGrpcFastPath, timeoutMs: 200 });
    const reply = await get();
    expect(reply.status).toBe(504);
    expect(reply.json).toMatchObject({ code: "deadline_exceeded" });
    await handler.cancelled;
  });
});
