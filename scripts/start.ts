/**
 * `npm start`: the whole system on one machine. Makes sure PostgreSQL and Redis run (starting
 * them with this machine's own commands when they don't) and a Kafka broker answers (starting
 * the local one when none does; stopped again on Ctrl-C), applies migrations, starts every
 * service and the gateway, waits until each is ready, prints where to point curl, and stops
 * everything cleanly on Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { migrateProductDatabase } from "../services/product/src/db/migrate.js";
import { ensureKafka } from "./kafka-broker.js";
import { SERVICE_NODE_FLAGS } from "./node-flags.js";
import { createProcessGroup, waitReady } from "./process-group.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

// Development credentials only; a deployment sets its own (compose.yaml, the environment).
const env: NodeJS.ProcessEnv = {
  DB_HOST: "127.0.0.1",
  DB_USER: "shop",
  DB_PASSWORD: "shop",
  REDIS_HOST: "127.0.0.1",
  PRODUCT_SERVICE_URL: "127.0.0.1:50050",
  BASKET_SERVICE_URL: "127.0.0.1:50051",
  KAFKA_BROKERS: "127.0.0.1:9092",
  ...process.env,
};

const processes = [
  {
    name: "product",
    main: "services/product/src/main.js",
    ready: "http://127.0.0.1:50050/ready",
    env: { GRPC_PORT: "50050" },
  },
  {
    name: "basket",
    main: "services/basket/src/main.js",
    ready: "http://127.0.0.1:50051/ready",
    env: { GRPC_PORT: "50051" },
  },
  {
    name: "gateway",
    main: "gateway/src/main.js",
    ready: "http://127.0.0.1:8080/health",
    env: { PORT: "8080" },
  },
];

execFileSync("bash", [`${root}scripts/ensure-stores.sh`], { stdio: "inherit", env });
const kafka = await ensureKafka(env);
await migrateProductDatabase({
  host: env.DB_HOST ?? "127.0.0.1",
  port: Number(env.DB_PORT ?? 5432),
  user: env.DB_USER ?? "shop",
  password: env.DB_PASSWORD ?? "",
  database: env.DB_NAME ?? "product_service",
});

const group = createProcessGroup();
let stopping = false;
async function stop(exitCode: number): Promise<never> {
  stopping = true;
  await group.stopAll();
  await kafka.stop();
  process.exit(exitCode);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

const started = processes.map(({ name, main, env: own, ready }) => {
  const child = group.start(name, `${root}dist/${main}`, { ...env, ...own }, SERVICE_NODE_FLAGS);
  child.process.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? code}); stopping everything`);
    void stop(1);
  });
  return { child, ready };
});

try {
  for (const { child, ready } of started) await waitReady(child, ready, 30_000);
} catch (error) {
  console.error((error as Error).message);
  await stop(1);
}

console.log(`
connect-shop is running. Ctrl-C stops it.
  REST gateway   http://localhost:8080   (also :8081, :8082)   try: curl localhost:8080/products
  OpenAPI        http://localhost:8080/openapi.json
  product        localhost:50050   gRPC, gRPC-Web, Connect     try: npx buf curl --http2-prior-knowledge --list-services http://localhost:50050
  basket         localhost:50051   gRPC, gRPC-Web, Connect
  kafka          ${env.KAFKA_BROKERS}    topics payment-events, stock-events, basket-events   try: npm run topic -- payment-events
`);
