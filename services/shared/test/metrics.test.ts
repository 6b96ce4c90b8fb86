import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMetrics } from "#shared/metrics";

/** The RPC metrics as they were made with prom-client's own Counter and Histogram. */
function promClientTwin() {
  const registry = new Registry();
  const labelNames = ["service", "method", "code"] as const;
  const total = new Counter({
    name: "shop_rpc_requests_total",
    help: "RPCs handled, by service, method and final code.",
    labelNames,
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "shop_rpc_duration_seconds",
    help: "RPC handling time in seconds, by service, method and final code.",
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const observe = (service: string, method: string, code: string, value: number) => {
    total.inc({ service, method, code });
    seconds.observe({ service, method, code }, value);
  };
  return { registry, observe };
}

// Interleaved series, values on bucket bounds, between them, above the last and zero.
const CALLS: [string, string, string, number][] = [
  ["shop.product.v1.ProductService", "GetProduct", "ok", 0.0005],
  ["gateway", "GET /v1/products/{id}", "200", 0.0031],
  ["shop.product.v1.ProductService", "GetProduct", "not_found", 0.0012],
  ["shop.basket.v1.BasketService", "AddItem", "ok", 12.5],
  ["shop.product.v1.ProductService", "GetProduct", "ok", 0.00049],
  ["shop.product.v1.ProductService", "ListProducts", "ok", 0.1],
  ["gateway", "GET /v1/products/{id}", "404", 0],
  ["shop.product.v1.ProductService", "GetProduct", "ok", 0.0123456789],
  ["shop.basket.v1.BasketService", "AddItem", "invalid_argument", 1],
  ["gateway", "GET /v1/products/{id}", "200", 2.5000001],
  ['we"ird\\', "line\nbreak", "ok", 0.3],
];

describe("the RPC metrics", () => {
  it("read on /metrics exactly as prom-client's Counter and Histogram would have them", async () => {
    const ours = createMetrics();
    const twin = promClientTwin();
    // No series yet: HELP and TYPE only.
    expect(await ours.registry.metrics()).toContain((await twin.registry.metrics()).trimEnd());
    for (const [service, method, code, seconds] of CALLS) {
      ours.rpc(service, method, code).observe(seconds);
      twin.observe(service, method, code, seconds);
    }
    const text = await ours.registry.metrics();
    expect(text).toContain((await twin.registry.metrics()).trimEnd());
    expect(text.match(/^shop_rpc_requests_total\{/gm)).toHaveLength(8);
  });

  it("start again from no series when the registry is reset, as prom-client's do", async () => {
    const ours = createMetrics();
    const twin = promClientTwin();
    ours.rpc("a.B", "C", "ok").observe(0.2);
    ours.registry.resetMetrics();
    twin.registry.resetMetrics();
    ours.rpc("a.B", "D", "ok").observe(0.3);
    twin.observe("a.B", "D", "ok", 0.3);
    expect(await ours.registry.metrics()).toContain((await twin.registry.metrics()).trimEnd());
  });
});
