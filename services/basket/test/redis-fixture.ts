import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { localRedis } from "#scripts/dev-stores";
import { type Cents, parseMoney } from "#shared/money";
import { parseUserId, type UserId } from "../src/domain/basket.js";
import { createBasketRepository, type NewLine } from "../src/redis/basket-repository.js";
import { basketKeys } from "../src/redis/basket-state.js";
import { connectRedis } from "../src/redis/connection.js";

/** The idle TTL the suites give baskets. */
export const TTL_SECONDS = 3600;

/**
 * Real Redis on the test database (`TEST_REDIS_DB`, 15; see scripts/dev-stores.ts). Each suite opens its own
 * clients, makes one fresh user per test and deletes exactly the keys of those users at the end
 * — never FLUSHDB, other suites share the database.
 */
export function redisFixture(clients = 1) {
  const connections = Array.from({ length: clients }, () => connectRedis(localRedis("test")));
  const redis = connections[0] as Redis;
  const repos = connections.map((c) => createBasketRepository(c, { ttlSeconds: TTL_SECONDS }));
  const users: UserId[] = [];

  return {
    redis,
    repo: repos[0] as (typeof repos)[number],
    /** One repository per connection, as separate service instances would have. */
    repos,
    /** A user of this test only; its keys are removed by `close`. */
    newUser(prefix = "test"): UserId {
      const user = parseUserId(`${prefix}-${randomUUID()}`);
      users.push(user);
      return user;
    },
    /** Registers a hand-made user id for clean-up. */
    track(raw: string): UserId {
      const user = parseUserId(raw);
      users.push(user);
      return user;
    },
    /** Both keys' contents, to prove an operation changed nothing. */
    async snapshot(user: UserId) {
      const [basket, items] = basketKeys(user);
      return { basket: await redis.hgetall(basket), items: await redis.hgetall(items) };
    },
    async close() {
      const keys = users.flatMap((user) => basketKeys(user));
      if (keys.length > 0) await redis.del(...keys);
      await Promise.all(connections.map((c) => c.quit()));
    },
  };
}

/** A catalogue line; prices are decimal strings as on the wire. */
export function line(productId: bigint, quantity: number, price = "1.00", name?: string): NewLine {
  return {
    productId,
    quantity,
    name: name ?? `Product ${productId}`,
    price: parseMoney(price) as Cents,
    category: "test",
  };
}
