import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { bearer } from "#shared-test/auth";
import { until } from "./support/load.js";
import { protocols } from "./support/protocols.js";
import { startResilientGateway, type Watch } from "./support/resilient-gateway.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Longer than any test here may take: only the gateway's own drain can end the streams. */
const GRACE_MS = 60_000;

/** A gateway before a WatchNotifications that sends one heartbeat and then stays open. */
async function start() {
  const seen = { started: 0, cancelled: 0 };
  const watch: Watch = async function* (_req, ctx) {
    seen.started++;
    ctx.signal.addEventListener("abort", () => seen.cancelled++);
    yield { event: { case: "heartbeat", value: {} } };
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  };
  const gateway = await startResilientGateway({
    getProduct: async (id) => ({ product: { id } }),
    watch,
  });
  closers.push(() => gateway.close());
  return { ...gateway, seen };
}

describe("the gateway's shutdown", () => {
  it("ends an NDJSON watch cleanly: a last error line, then the end of the body", async () => {
    const gateway = await start();
    const res = await fetch(`${gateway.baseUrl}/users/alice/notifications:watch`, {
      headers: await bearer("alice"),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"heartbeat"');

    const started = performance.now();
    const closed = gateway.server.close(GRACE_MS);
    let rest = "";
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      rest += new TextDecoder().decode(next.value);
    }
    await closed;
    expect(performance.now() - started).toBeLessThan(GRACE_MS / 2);
    const lines = rest.trim().split("\n");
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({
      error: { code: "unavailable", message: expect.stringContaining("shutting down") },
    });
    // …and the upstream stream was cancelled (the reset reaches the service soon after).
    await until(() => gateway.seen.cancelled === 1, "the upstream watch cancelled");
  });

  it.each(protocols)(
    "ends a proxied %s server stream with Unavailable, not a reset",
    async (_, protocol) => {
      const gateway = await start();
      const client = createClient(NotificationService, protocol(gateway.baseUrl));
      const stream = client.watchNotifications({ userId: "alice" })[Symbol.asyncIterator]();
      const first = await stream.next();
      expect(first.value?.event.case).toBe("heartbeat");

      const started = performance.now();
      const closed = gateway.server.close(GRACE_MS);
      const ended = await stream.next().then(
        (next) => ({ done: next.done }),
        (error: unknown) => ConnectError.from(error),
      );
      await closed;
      expect(performance.now() - started).toBeLessThan(GRACE_MS / 2);
      expect(ended).toBeInstanceOf(ConnectError);
      expect((ended as ConnectError).code).toBe(Code.Unavailable);
      expect((ended as ConnectError).rawMessage).toContain("shutting down");
      // …and the upstream stream was cancelled (the reset reaches the service soon after).
      await until(() => gateway.seen.cancelled === 1, "the upstream watch cancelled");
    },
  );
});
