import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Pool } from "mysql2/promise";
import { localRedis } from "#scripts/dev-stores";
import { createKafka, type KafkaClient } from "#shared/kafka/client";
import { createEventProducer } from "#shared/kafka/producer";
import { ensureTopics, TOPICS } from "#shared/kafka/topics";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { guardStore } from "#shared/store-errors";
import { asService, bearer, testAuthSettings, testGatewayVerifier } from "#shared-test/auth";
import { testLogger, uniqueName } from "#shared-test/kafka";
import { startTestServer } from "#shared-test/service-harness";
import { createBasketApp } from "../../../services/basket/src/app.js";
import { consumeBasketEvents } from "../../../services/basket/src/events/basket-cleared.js";
import { createBasketRepository } from "../../../services/basket/src/redis/basket-repository.js";
import { connectRedis } from "../../../services/basket/src/redis/connection.js";
import { createNotificationApp } from "../../../services/notification/src/app.js";
import { consumeEvents } from "../../../services/notification/src/events/events-consumer.js";
import { openTestDatabase as openNotificationDatabase } from "../../../services/notification/test/support/database.js";
import { createPaymentApp } from "../../../services/payment/src/app.js";
import { kafkaPublish } from "../../../services/payment/src/events/kafka-publish.js";
import {
  type OutboxRecord,
  startOutboxRelay,
} from "../../../services/payment/src/events/outbox-relay.js";
import {
  openTestDatabase as openPaymentDatabase,
  testDatabaseConfig as paymentDatabase,
} from "../../../services/payment/test/support/database.js";
import { createProductApp } from "../../../services/product/src/app.js";
import { PRODUCT_DATABASE, type ProductSql } from "../../../services/product/src/db/connection.js";
import { createStockRepository } from "../../../services/product/src/db/stock-repository.js";
import { consumeStockEvents } from "../../../services/product/src/events/stock-events-consumer.js";
import { openTestDatabase as openProductDatabase } from "../../../services/product/test/support/database.js";
import { createGateway } from "../../src/app.js";
import { answerClientError } from "../../src/client-error.js";
import { loadStaticFiles } from "../../src/static-files.js";
import { devSignInOf } from "../../src/storefront.js";
import { createGrpcUpstream } from "../../src/upstream.js";

type Rest = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Answer>;

/** The three event topics as a run names them. */
export type Topics = { readonly payment: string; readonly stock: string; readonly basket: string };

/** A JSON answer of the gateway. */
export type Answer = {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the wire, asserted field by field
  readonly json: any;
};

/** The whole system in this process, as the main.ts files compose it, behind a real gateway. */
export type System = {
  /** A curl-like request to the gateway, anonymous unless `headers` carry a token. */
  rest: Rest;
  /**
   * The same requests with a bearer token of `user` (with the admin role when `admin`), as a
   * shop front would send them: `system.as(userId).rest("GET", `/baskets/${userId}`)`.
   */
  as(user: string, options?: { admin?: boolean }): { rest: Rest };
  /** The gateway's base URL, for requests `rest` does not make (streams). */
  readonly base: string;
  readonly kafka: KafkaClient;
  readonly topics: Topics;
  /** Consumer groups of the stock, basket and notification consumers, to see how far they have read. */
  readonly groups: {
    readonly stock: string;
    readonly basket: string;
    readonly notification: string;
  };
  readonly sql: ProductSql;
  readonly payments: Pool;
  close(): Promise<void>;
};

export type SystemOptions = {
  /** Names this run's payment database (`<PAYMENT_TEST_DB_NAME>_<name>`) and its Kafka names. */
  readonly name: string;
  /** The broker(s); `KAFKA_BROKERS` (the shared one) unless set. */
  readonly brokers?: readonly string[];
  /**
   * "private" (default): fresh topics of this run, so files never see each other's events on a
   * shared broker; "project": the project's own topic names (for a broker of the test's own).
   */
  readonly topics?: "private" | "project";
  /**
   * The storefront: the gateway serves the build in `root` at `/` and offers the development
   * sign-in (with the test user secret), and lets `allowedOrigins` call it from other origins.
   */
  readonly web?: { readonly root: string; readonly allowedOrigins?: readonly string[] };
};

/**
 * Starts product (PostgreSQL), basket (Redis), payment (MariaDB, its own database so its
 * outbox relay holds its own lock) and notification (PostgreSQL) on free ports, the outbox relay
 * over Kafka, the services' own stock, basket and notification consumers, and the gateway in front: the wiring of the main.ts files. The one
 * difference is the topic names when `topics` is "private": the relay's records are renamed on
 * the way to Kafka and the consumers read the renamed topics (with groups of this run).
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const logger = testLogger();
  const metrics = createMetrics();
  const brokers = options.brokers ?? (process.env.KAFKA_BROKERS || "localhost:9092").split(",");
  const kafka = createKafka({ brokers, clientId: `system-${options.name}` }, logger);
  const topics = options.topics === "project" ? TOPICS : privateTopics(options.name);
  await ensureTopics(kafka, Object.values(topics));
  const closers: (() => Promise<unknown> | unknown)[] = [];

  const sql = await openProductDatabase();
  closers.push(() => sql.end());
  const redis = connectRedis(localRedis("test"));
  closers.push(() => redis.disconnect());
  const product = await startTestServer(createProductApp(sql));
  closers.push(() => product.close(500));
  const transport = (url: string) =>
    createServiceTransport({
      urls: [url],
      timeoutMs: 10_000,
      retriesOnUnavailable: 2,
      interceptors: [asService()],
    });
  const products = transport(product.baseUrl);
  closers.push(() => products.close());
  const basket = await startTestServer(createBasketApp({ redis, products, ttlSeconds: 600 }));
  closers.push(() => basket.close(500));
  const baskets = transport(basket.baseUrl);
  closers.push(() => baskets.close());

  const suffix = `_${options.name}`;
  const payments = await openPaymentDatabase(suffix);
  closers.push(() => payments.end());
  const producer = createEventProducer(kafka, metrics);
  closers.push(() => producer.disconnect().catch(() => {}));
  const relay = startOutboxRelay({
    database: { ...paymentDatabase, database: paymentDatabase.database + suffix },
    publish: renamed(kafkaPublish(producer), topics),
    logger,
  });
  closers.push(() => relay.stop());
  const app = createPaymentApp({
    pool: payments,
    basket: baskets,
    product: products,
    logger,
    ttlSeconds: 900,
    shopCurrency: "USD",
    sweepIntervalMs: 5000,
    outboxWritten: () => relay.wake(),
  });
  const payment = await startTestServer(app);
  app.sweeper.start();
  closers.push(
    () => app.sweeper.stop(),
    () => payment.close(500),
  );

  const notificationSql = await openNotificationDatabase();
  closers.push(() => notificationSql.end());
  const notificationApp = await createNotificationApp(notificationSql, {
    logger,
    metrics,
    heartbeatMs: 15_000,
  });
  const notification = await startTestServer(notificationApp);
  closers.push(
    () => notificationApp.hub.close(),
    () => notification.close(500),
  );

  // The consumers as the main.ts files start them, on this run's topics and groups.
  const groups = {
    stock: uniqueName("product-stock"),
    basket: uniqueName("basket-cleared"),
    notification: uniqueName("notification"),
  };
  const consumers = [
    consumeStockEvents({
      kafka,
      stock: guardStore(createStockRepository(sql), PRODUCT_DATABASE),
      logger,
      metrics,
      topic: topics.stock,
      groupId: groups.stock,
    }),
    consumeBasketEvents({
      kafka,
      baskets: createBasketRepository(redis, { ttlSeconds: 600 }),
      logger,
      metrics,
      topic: topics.basket,
      groupId: groups.basket,
    }),
    consumeEvents({
      kafka,
      store: notificationApp.store,
      logger,
      metrics,
      topics: [topics.payment, topics.stock, topics.basket],
      groupId: groups.notification,
    }),
  ];
  closers.push(() => Promise.all(consumers.map((consumer) => consumer.stop())));
  await Promise.all(consumers.map((consumer) => consumer.started));

  const upstream = (server: { baseUrl: string }, name: string) =>
    createGrpcUpstream([server.baseUrl], { timeoutMs: 15_000, name: `${name} service` });
  const upstreams = {
    product: upstream(product, "product"),
    basket: upstream(basket, "basket"),
    payment: upstream(payment, "payment"),
    notification: upstream(notification, "notification"),
  };
  closers.push(() => Promise.all(Object.values(upstreams).map((u) => u.close())));
  // The proxy (gRPC, gRPC-Web, Connect) reaches the same instances as the REST routes.
  const instanceUrls = {
    product: [product.baseUrl],
    basket: [basket.baseUrl],
    payment: [payment.baseUrl],
    notification: [notification.baseUrl],
  };
  const web = options.web && {
    web: await loadStaticFiles(options.web.root),
    devSignIn: devSignInOf({ DEV_SIGN_IN: true }, testAuthSettings),
    options: { allowedOrigins: new Set(options.web.allowedOrigins ?? []) },
  };
  const gateway = await listen(
    createGateway({
      upstreams,
      logger,
      metrics,
      verifier: testGatewayVerifier,
      instanceUrls,
      ...web,
    }),
  );
  closers.push(() => closeServer(gateway));
  const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;

  const rest: Rest = async (method, path, body, headers = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  return {
    rest,
    as: (user, options) => ({
      rest: async (method, path, body, headers) =>
        rest(method, path, body, { ...(await bearer(user, options)), ...headers }),
    }),
    base,
    kafka,
    topics,
    groups,
    sql,
    payments,
    async close() {
      // Gateway first, stores last: the reverse of start-up.
      for (const close of closers.reverse()) await close();
    },
  };
}

function privateTopics(name: string): Topics {
  return {
    payment: uniqueName(`${name}-payment-events`),
    stock: uniqueName(`${name}-stock-events`),
    basket: uniqueName(`${name}-basket-events`),
  };
}

/** `publish` with each record's project topic replaced by this run's name for it. */
function renamed(
  publish: (records: readonly OutboxRecord[]) => Promise<void>,
  topics: Topics,
): (records: readonly OutboxRecord[]) => Promise<void> {
  const names: Record<string, string> = {
    [TOPICS.payment]: topics.payment,
    [TOPICS.stock]: topics.stock,
    [TOPICS.basket]: topics.basket,
  };
  return (records) =>
    publish(records.map((record) => ({ ...record, topic: names[record.topic] ?? record.topic })));
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
