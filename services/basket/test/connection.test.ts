import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DependencyUnavailable } from "#shared/errors";
import { parseUserId } from "../src/domain/basket.js";
import { createBasketRepository } from "../src/redis/basket-repository.js";
import { runScript, type Script, scripts } from "../src/redis/basket-scripts.js";
import { connectRedis } from "../src/redis/connection.js";
import { line, redisFixture } from "./redis-fixture.js";

const fx = redisFixture();
afterAll(() => fx.close());

describe("the Redis connection", () => {
  it("answers the readiness ping when Redis is up", async () => {
    await expect(fx.repo.ping()).resolves.toBeUndefined();
  });

  it("sends a script in full when Redis does not know its SHA", async () => {
    // no script hashes to forty zeros, so EVALSHA answers NOSCRIPT
    const script: Script = { lua: "return 'sent in full'", sha: "0".repeat(40) };
    await expect(runScript(fx.redis, script, ["k1", "k2"], [])).resolves.toBe("sent in full");
  });

  it("sends the scripts of one event-loop turn to Redis together, each answered on its own", async () => {
    const [first, second] = [fx.newUser(), fx.newUser()];
    const both = [fx.repo.get(first), fx.repo.create(second)];
    // queued for one write instead of one write each
    expect(fx.redis.autoPipelineQueueSize).toBe(2);
    const [missing, created] = await Promise.allSettled(both);
    expect(missing).toMatchObject({
      status: "rejected",
      reason: { code: "not_found", kind: "basket" },
    });
    expect(created).toMatchObject({ status: "fulfilled", value: { userId: second, items: [] } });
  });

  it("sends each AddItem as one EVALSHA of the cached script: one command, never the script text", async () => {
    const user = fx.newUser();
    await fx.repo.addItem(user, line(1n, 1), 10); // Redis knows the script from here on
    const sent = await commandsOf(fx.redis, async () => {
      await fx.repo.addItem(user, line(1n, 2), 10);
      await fx.repo.addItem(user, line(2n, 1), 10);
    });
    expect(sent.map(([name, sha]) => [name?.toLowerCase(), sha])).toEqual([
      ["evalsha", scripts.addItem.sha],
      ["evalsha", scripts.addItem.sha],
    ]);
  });

  it("fails fast with DependencyUnavailable when Redis cannot be reached", async () => {
    // port 1 on loopback refuses connections at once
    const down = connectRedis({ host: "127.0.0.1", port: 1, db: 15 });
    down.on("error", () => {}); // expected while the server is absent
    const repo = createBasketRepository(down, { ttlSeconds: 60 });
    try {
      const started = Date.now();
      await expect(repo.get(parseUserId("nobody"))).rejects.toThrow(DependencyUnavailable);
      await expect(repo.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      down.disconnect();
    }
  });
});

/**
 * The commands `redis`'s own connection sent while `work` ran, as Redis's MONITOR saw them (the
 * commands scripts run inside Redis are not the connection's). Ends on an ECHO of a fresh
 * marker: the monitor reports in order, so once the marker shows, everything before it has too.
 */
async function commandsOf(redis: Redis, work: () => Promise<void>): Promise<string[][]> {
  const source = `:${redis.stream.localPort}`;
  const marker = `end-${randomUUID()}`;
  const monitor = await redis.duplicate().monitor();
  try {
    const sent: string[][] = [];
    const done = new Promise<void>((resolve) => {
      monitor.on("monitor", (_time: string, args: string[], from: string) => {
        if (!from.endsWith(source)) return;
        if (args[0]?.toLowerCase() === "echo" && args[1] === marker) resolve();
        else sent.push(args);
      });
    });
    await work();
    await redis.echo(marker);
    await done;
    return sent;
  } finally {
    monitor.disconnect();
  }
}
