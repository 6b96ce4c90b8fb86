import { createRequire } from "node:module";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkajsIdleLoopFixActive } from "#shared/kafka/kafkajs-idle-loop-fix";
import { createIdempotentProducer } from "#shared/kafka/producer";
import { createTestTopics, testKafka } from "./support/kafka.js";

const require = createRequire(import.meta.url);
const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
  prototype: { checkPendingRequests(): void };
};

const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
beforeAll(async () => {
  topics = await createTestTopics(kafka, "idle");
});
afterAll(() => topics.remove());

describe("kafkajs idle loop fix", () => {
  it("is what kafkajs runs once a client exists", () => {
    expect(kafkajsIdleLoopFixActive()).toBe(true);
  });

  it("leaves an idle connection's request queue alone", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.listTopics();
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      original.call(this);
    };
    try {
      // Upstream checks ~1000 times a second per connection here; the fix, not at all.
      await delay(300);
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await admin.disconnect();
    }
    expect(checks).toBeLessThan(5);
  });

  it("still sends requests that queue behind the one in flight", async () => {
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const topic = topics.topics[0] ?? "";
    const sends = Array.from({ length: 20 }, (_, index) =>
      producer.send({ topic, acks: -1, messages: [{ key: "k", value: String(index) }] }),
    );
    await expect(Promise.all(sends)).resolves.toHaveLength(20);
    await producer.disconnect();
  });
});
