import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { protocols } from "./support/protocols.js";
import { type GetProduct, startResilientGateway, type Watch } from "./support/resilient-gateway.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function start(getProduct: GetProduct, watch?: Watch) {
  const clock = { now: 0 };
  const gateway = await startResilientGateway({ getProduct, watch, clock: () => clock.now });
  closers.push(() => gateway.close());
  return { ...gateway, clock };
}

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

async function drainStream(stream: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of stream) count++;
  return count;
}

const productState = 'shop_upstream_breaker_state{service="product"}';
const notificationState = 'shop_upstream_breaker_state{service="notification"}';

describe.each(protocols)("proxied %s calls and the upstream's circuit breaker", (_, protocol) => {
  it("count server errors, are refused fast while it is open (as REST is), and close it by a good probe", async () => {
    let failing = true;
    let served = 0;
    const gateway = await start(async (id) => {
      served++;
      if (failing) throw new ConnectError("disk on fire", Code.Internal);
      return { product: { id } };
    });
    const client = createClient(ProductService, protocol(gateway.baseUrl));
    for (let i = 0; i < 5; i++)
      expect(await codeOf(client.getProduct({ id: 1n }))).toBe(Code.Internal);
    expect(await gateway.metric(productState)).toBe(2);

    const servedWhenOpened = served;
    for (let i = 0; i < 5; i++) {
      const refused = await client
        .getProduct({ id: 1n })
        .catch((error) => ConnectError.from(error));
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).code).toBe(Code.Unavailable);
      expect((refused as ConnectError).rawMessage).toBe("product service is unavailable");
    }
    // The REST route to the same service meets the same open breaker.
    expect((await fetch(`${gateway.baseUrl}/products/1`)).status).toBe(503);
    expect(served).toBe(servedWhenOpened);
    expect(
      await gateway.metric('shop_upstream_breaker_rejections_total{service="product"}'),
    ).toBeGreaterThanOrEqual(6);

    failing = false;
    gateway.clock.now += 1000;
    expect(await codeOf(client.getProduct({ id: 1n }))).toBe("ok");
    expect(await gateway.metric(productState)).toBe(0);
  });

  it("count Unavailable answers and timeouts as failures", async () => {
    let answer: "unavailable" | "hang" = "unavailable";
    const gateway = await start(async (_id, ctx) => {
      if (answer === "unavailable") throw new ConnectError("database down", Code.Unavailable);
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      throw new ConnectError("gave up", Code.Canceled);
    });
    const client = createClient(ProductService, protocol(gateway.baseUrl));
    for (let i = 0; i < 2; i++)
      expect(await codeOf(client.getProduct({ id: 1n }))).toBe(Code.Unavailable);
    answer = "hang";
    // The gateway's deadline (200 ms here) runs out; the client would wait longer.
    for (let i = 0; i < 3; i++) {
      const call = client.getProduct({ id: 1n }, { timeoutMs: 10_000 });
      expect(await codeOf(call)).toBe(Code.DeadlineExceeded);
    }
    expect(await gateway.metric(productState)).toBe(2);
  });

  it("never count a client's own errors (NotFound, InvalidArgument, PermissionDenied)", async () => {
    const refusals = [Code.NotFound, Code.InvalidArgument, Code.PermissionDenied];
    let turn = 0;
    const gateway = await start(async () => {
      throw new ConnectError("no", refusals[turn++ % refusals.length]);
    });
    const client = createClient(ProductService, protocol(gateway.baseUrl));
    for (let i = 0; i < 12; i++) {
      expect(refusals).toContain(await codeOf(client.getProduct({ id: 1n })));
    }
    expect(await gateway.metric(productState)).toBe(0);
  });

  it("count failed server streams, and refuse streams while it is open", async () => {
    let started = 0;
    const gateway = await start(
      async (id) => ({ product: { id } }),
      async function* () {
        started++;
        // The answer has begun (headers and a message) when the service fails.
        yield { event: { case: "heartbeat", value: {} } };
        throw new ConnectError("store lost", Code.Internal);
      },
    );
    const client = createClient(NotificationService, protocol(gateway.baseUrl));
    for (let i = 0; i < 5; i++) {
      const call = drainStream(client.watchNotifications({ userId: "alice" }));
      expect(await codeOf(call)).toBe(Code.Internal);
    }
    expect(await gateway.metric(notificationState)).toBe(2);
    const refused = drainStream(client.watchNotifications({ userId: "alice" }));
    expect(await codeOf(refused)).toBe(Code.Unavailable);
    expect(started).toBe(5);
    expect(
      await gateway.metric('shop_upstream_breaker_rejections_total{service="notification"}'),
    ).toBe(1);
    // The product service's breaker is its own.
    expect(await gateway.metric(productState)).toBe(0);
  });
});

describe("the gateway's metrics of proxied calls", () => {
  it("label each call's code with the HTTP status it maps to, as REST rows are labelled", async () => {
    let answer: Code | undefined;
    const gateway = await start(async (id) => {
      if (answer !== undefined) throw new ConnectError("as told", answer);
      return { product: { id } };
    });
    for (const [, protocol] of protocols) {
      const client = createClient(ProductService, protocol(gateway.baseUrl));
      for (const code of [undefined, Code.NotFound, Code.Unavailable, Code.Unauthenticated]) {
        answer = code;
        await codeOf(client.getProduct({ id: 1n }));
      }
    }
    const text = await gateway.metricsText();
    const path = "/shop.product.v1.ProductService/GetProduct";
    const count = (status: number) =>
      Number(
        text
          .split("\n")
          .find((line) =>
            line.startsWith(
              `shop_rpc_requests_total{service="gateway",method="${path}",code="${status}"}`,
            ),
          )
          ?.split(" ")
          .at(-1) ?? 0,
      );
    for (const status of [200, 404, 503, 401]) expect(count(status)).toBe(protocols.length);
    const codes = [
      ...text.matchAll(/shop_rpc_requests_total\{service="gateway"[^}]*code="([^"]*)"/g),
    ];
    expect(codes.length).toBeGreaterThan(0);
    for (const [, code] of codes) expect(code).toMatch(/^[1-5]\d\d$/);
  });
});
