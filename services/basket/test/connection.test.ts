import { afterAll, describe, expect, it } from "vitest";
import { DependencyUnavailable } from "#shared/errors";
import { parseUserId } from "../src/domain/basket.js";
import { createBasketRepository } from "../src/redis/basket-repository.js";
import { runScript, type Script } from "../src/redis/basket-scripts.js";
import { connectRedis } from "../src/redis/connection.js";
import { redisFixture } from "./redis-fixture.js";

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
