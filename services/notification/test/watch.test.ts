import { randomUUID } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotificationKind } from "#gen/shop/notification/v1/notification_pb";
import { createTestTopics, publish, testKafka, testLogger, uniqueName } from "#shared-test/kafka";
import { startTestServer } from "#shared-test/service-harness";
import type { NotificationApp } from "../src/app.js";
import type { NotificationSql } from "../src/db/connection.js";
import { consumeEvents } from "../src/events/events-consumer.js";
import { testCaller } from "./support/caller.js";
import { openTestDatabase, testApp } from "./support/database.js";
import { paymentOf } from "./support/events.js";
import { openStream } from "./support/streams.js";

type Instance = {
  sql: NotificationSql;
  app: NotificationApp;
  server: Awaited<ReturnType<typeof startTestServer>>;
};

const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
// Two instances of the service on one database; only the first consumes from Kafka.
let first: Instance;
let second: Instance;
const stops: (() => Promise<void>)[] = [];

async function startInstance(): Promise<Instance> {
  const sql = await openTestDatabase();
  const app = await testApp(sql);
  const server = await startTestServer(app);
  stops.push(async () => {
    await app.hub.close();
    await server.close(100);
    await sql.end({ timeout: 1 });
  });
  return { sql, app, server };
}

beforeAll(async () => {
  topics = await createTestTopics(kafka, "payment");
  [first, second] = [await startInstance(), await startInstance()];
  const consumer = consumeEvents({
    kafka,
    store: first.app.store,
    logger: testLogger(),
    metrics: first.app.metrics,
    groupId: uniqueName("notification"),
    topics: topics.topics,
  });
  stops.unshift(() => consumer.stop());
  await consumer.started;
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await topics?.remove();
});

const topic = () => topics.topics[0] ?? "";

const PROTOCOLS: [name: string, transport: (baseUrl: string) => Transport][] = [
  ["gRPC (HTTP/2)", (baseUrl) => createGrpcTransport({ baseUrl, interceptors: [testCaller] })],
  [
    "Connect (HTTP/1.1)",
    (baseUrl) =>
      createConnectTransport({ baseUrl, interceptors: [testCaller], httpVersion: "1.1" }),
  ],
  [
    "gRPC-Web (HTTP/1.1)",
    (baseUrl) =>
      createGrpcWebTransport({ baseUrl, interceptors: [testCaller], httpVersion: "1.1" }),
  ],
];

describe("WatchNotifications", () => {
  it.each(PROTOCOLS)(
    "delivers a payment's notification to a stream opened before it, over %s, within a second of its commit",
    async (_name, transport) => {
      const userId = `user-${randomUUID()}`;
      const stream = await openStream(transport(first.server.baseUrl), userId);
      const completed = paymentOf(userId, "2.50").completed();

      await publish(kafka, topic(), completed);
      const { notification, at } = await stream.notification(completed.id);

      expect(notification).toMatchObject({
        userId,
        kind: NotificationKind.PAYMENT_COMPLETED,
        message: "Payment of 2.50 USD completed",
        amount: "2.50",
        currency: "USD",
        read: false,
      });
      // From the commit that stored it (the database's clock, on this machine) to its arrival.
      const stored = notification.createdAt ? timestampMs(notification.createdAt) : 0;
      expect(at - stored).toBeLessThan(1000);
      stream.close();
      await stream.ended;
    },
  );

  it("reaches a stream on each of two instances, whichever consumed the event, and no other user's", async () => {
    const userId = `user-${randomUUID()}`;
    const grpc = (instance: Instance) =>
      createGrpcTransport({ baseUrl: instance.server.baseUrl, interceptors: [testCaller] });
    const onFirst = await openStream(grpc(first), userId);
    const onSecond = await openStream(
      createGrpcWebTransport({
        baseUrl: second.server.baseUrl,
        interceptors: [testCaller],
        httpVersion: "1.1",
      }),
      userId,
    );
    const bystander = await openStream(grpc(second), `other-${randomUUID()}`);
    const failed = paymentOf(userId, "10.00").failed("insufficient funds");

    await publish(kafka, topic(), failed);
    const [a, b] = await Promise.all([
      onFirst.notification(failed.id),
      onSecond.notification(failed.id),
    ]);

    expect(a.notification.id).toBe(b.notification.id);
    expect(b.notification.message).toBe("Payment of 10.00 USD failed: insufficient funds");
    expect(first.app.hub.openStreams()).toBe(1);
    expect(second.app.hub.openStreams()).toBe(2);
    expect(bystander.received.some((r) => r.message.event.case === "notification")).toBe(false);
    for (const stream of [onFirst, onSecond, bystander]) stream.close();
    await Promise.all([onFirst.ended, onSecond.ended, bystander.ended]);
  });

  it("sends each notification once per stream, however often its event is delivered", async () => {
    const userId = `user-${randomUUID()}`;
    const stream = await openStream(
      createGrpcTransport({ baseUrl: second.server.baseUrl, interceptors: [testCaller] }),
      userId,
    );
    const payment = paymentOf(userId, "3.00");
    const completed = payment.completed();
    const refunded = payment.refunded("3.00", true);

    await publish(kafka, topic(), completed, completed, refunded, completed);
    await stream.notification(refunded.id);

    const notifications = stream.received.flatMap((r) =>
      r.message.event.case === "notification" ? [r.message.event.value.eventId] : [],
    );
    expect(notifications).toEqual([completed.id, refunded.id]);
    stream.close();
    await stream.ended;
  });
});

describe("an idle stream", () => {
  it("gets a heartbeat every WATCH_HEARTBEAT_MS on every protocol, and stays open", async () => {
    const instance = await startInstance();
    const quick = await testApp(instance.sql, { heartbeatMs: 100 });
    const server = await startTestServer(quick);
    stops.push(async () => {
      await quick.hub.close();
      await server.close(100);
    });
    const streams = await Promise.all(
      PROTOCOLS.map(([, transport]) =>
        openStream(transport(server.baseUrl), `idle-${randomUUID()}`),
      ),
    );
    await Promise.all(
      streams.map(
        (stream) =>
          new Promise<void>((resolve) => {
            const poll = setInterval(() => {
              if (stream.received.length >= 4) {
                clearInterval(poll);
                resolve();
              }
            }, 20);
          }),
      ),
    );
    for (const stream of streams) {
      expect(stream.received.every((r) => r.message.event.case === "heartbeat")).toBe(true);
      stream.close();
    }
  });
});

describe("shutdown", () => {
  it("ends every open stream cleanly, and the server then closes without waiting out its grace", async () => {
    const instance = await startInstance();
    const streams = await Promise.all(
      PROTOCOLS.map(([, transport]) =>
        openStream(transport(instance.server.baseUrl), `bye-${randomUUID()}`),
      ),
    );
    expect(instance.app.hub.openStreams()).toBe(3);

    await instance.app.hub.close();
    const ends = await Promise.all(streams.map((stream) => stream.ended));
    await instance.server.close(60_000);

    expect(ends).toEqual([undefined, undefined, undefined]);
    expect(instance.app.hub.openStreams()).toBe(0);
  });
});
