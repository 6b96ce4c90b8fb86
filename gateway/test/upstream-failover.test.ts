import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "#shared/metrics";
import type { Instance } from "#shared/rpc/balancer";
import { defaultResilience } from "#shared/rpc/resilience-config";
import {
  openTestDatabase,
  testDatabaseConfig,
} from "../../services/product/test/support/database.js";
import { createGrpcUpstream, type GrpcUpstream } from "../src/upstream.js";
import { type ProductProcess, productProcess } from "./support/instances.js";
import { type Load, listenGateway, startLoad as load, metricValue, until } from "./support/load.js";

// Two real product processes (real PostgreSQL) behind a real gateway under a loop of concurrent
// REST GETs; one of them is stopped, killed and started again. Both gRPC clients are tried.
const CONCURRENCY = 8;
const TEST_MS = 90_000;
let productId: string;
const loads: Load[] = [];
const startLoad = (url: string, concurrency: number) => {
  const started = load(url, concurrency);
  loads.push(started);
  return started;
};

// A test that failed half-way leaves no load running into the next one.
afterEach(async () => {
  await Promise.all(loads.splice(0).map((each) => each.stop()));
});

beforeAll(async () => {
  const sql = await openTestDatabase();
  const [row] = await sql`
    insert into products (name, price, stock_quantity) values ('fail-over mug', 3.50, 5)
    returning id`;
  productId = String(row?.id);
  await sql.end();
});

describe.each([
  ["the lean gRPC client", true],
  ["connect-node's transport", false],
])("two product instances behind the gateway, through %s", (_, unaryGrpcFastPath) => {
  let a: ProductProcess;
  let b: ProductProcess;
  let upstream: GrpcUpstream;
  let metrics: Metrics;
  let gateway: Awaited<ReturnType<typeof listenGateway>>;
  const url = () => `${gateway.base}/products/${productId}`;
  const instance = (of: ProductProcess) =>
    upstream.balancer.instances.find((each) => each.url === of.url) as Instance<unknown>;
  const metric = async (prefix: string) => metricValue(await metrics.registry.metrics(), prefix);
  const bothServing = () =>
    until(
      async () => (await a.served()) >= 20 && (await b.served()) >= 20,
      "both instances to serve",
    );

  beforeAll(async () => {
    [a, b] = await Promise.all([
      productProcess(testDatabaseConfig),
      productProcess(testDatabaseConfig),
    ]);
    await Promise.all([a.start(), b.start()]);
    metrics = createMetrics();
    upstream = createGrpcUpstream([a.url, b.url], {
      timeoutMs: 5000,
      name: "product service",
      service: "product",
      unaryGrpcFastPath,
      metrics,
      // Probes close together, so a restarted instance is taken back while the test waits.
      resilience: { ...defaultResilience, ejection: { afterFailures: 3, baseMs: 100, maxMs: 400 } },
    });
    const unused = createGrpcUpstream(["http://127.0.0.1:1"], { timeoutMs: 1000 });
    gateway = await listenGateway(
      { product: upstream, basket: unused, payment: unused, notification: unused },
      metrics,
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await Promise.all([a?.stop("SIGKILL"), b?.stop("SIGKILL")]);
  });

  it(
    "loses not one request when an instance is stopped with SIGTERM, and takes it back",
    async () => {
      const load = startLoad(url(), CONCURRENCY);
      await bothServing();
      const code = await a.stop("SIGTERM");
      expect(code).toBe(0);
      const servedByB = await b.served();
      await load.more(300);
      const samples = await load.stop();

      const failed = samples.filter((sample) => sample.status !== 200);
      console.info(
        `SIGTERM (fast path ${unaryGrpcFastPath}): ${samples.length} requests, ${failed.length} failed, ` +
          `${await metric('shop_upstream_retries_total{service="product",reason="unsent"}')} sent again unsent`,
      );
      expect(failed).toEqual([]);
      // New calls went to the other instance, and the stopped one is out of rotation.
      expect(await b.served()).toBeGreaterThanOrEqual(servedByB + 300);
      expect(instance(a).admitted).toBe(false);

      await a.start();
      await until(() => instance(a).admitted, "the restarted instance to be re-admitted");
      const again = startLoad(url(), CONCURRENCY);
      await until(async () => (await a.served()) >= 20, "the restarted instance to get calls");
      expect((await again.stop()).filter((sample) => sample.status !== 200)).toEqual([]);
      expect(
        await metric(`shop_upstream_readmissions_total{service="product",instance="${a.url}"}`),
      ).toBeGreaterThanOrEqual(1);
    },
    TEST_MS,
  );

  it(
    "fails no request once a killed instance is ejected (after the first second), and takes it back",
    async () => {
      const load = startLoad(url(), CONCURRENCY);
      await bothServing();
      const killedAt = performance.now();
      await b.stop("SIGKILL");
      await until(() => !instance(b).admitted, "the killed instance to be ejected");
      const ejectedAfterMs = performance.now() - killedAt;
      await until(
        () => load.samples.filter((sample) => sample.at > killedAt + 1000).length >= 300,
        "300 answers after the first second",
      );
      const samples = await load.stop();

      const afterKill = samples.filter((sample) => sample.at > killedAt);
      const failedEarly = afterKill.filter((s) => s.at <= killedAt + 1000 && s.status !== 200);
      const failedLate = afterKill.filter((s) => s.at > killedAt + 1000 && s.status !== 200);
      // When the gateway first heard of the kill: the calls in flight on the killed instance.
      const firstFailureMs = (failedEarly[0]?.at ?? Number.NaN) - killedAt;
      console.info(
        `SIGKILL (fast path ${unaryGrpcFastPath}): first failure after ${firstFailureMs.toFixed(1)} ms, ` +
          `ejected after ${ejectedAfterMs.toFixed(1)} ms; ` +
          `${afterKill.length} requests after the kill, ${failedEarly.length} failed in the first second, ` +
          `${failedLate.length} after`,
      );
      expect(failedLate).toEqual([]);
      expect(
        await metric(`shop_upstream_instance_ejected{service="product",instance="${b.url}"}`),
      ).toBe(1);

      await b.start();
      await until(() => instance(b).admitted, "the restarted instance to be re-admitted");
      const again = startLoad(url(), CONCURRENCY);
      await until(async () => (await b.served()) >= 20, "the restarted instance to get calls");
      expect((await again.stop()).filter((sample) => sample.status !== 200)).toEqual([]);
    },
    TEST_MS,
  );
});
