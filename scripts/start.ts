/**
 * `npm start`: the whole system on one machine. Makes sure the stores the listed services use run
 * (starting them with this machine's own commands when they don't) and a Kafka broker answers
 * (starting the local one when none does, and stopping it again on Ctrl-C), applies migrations,
 * starts every service in services/registry.ts and the gateway, waits until each is ready, prints
 * where to point curl, and stops everything cleanly on Ctrl-C.
 */
import { fileURLToPath } from "node:url";
import { services, serviceUrlVariable } from "#services";
import { devAuthEnv } from "./dev-auth.js";
import { ensureStores, localStoreEnv, migrateLocalDatabases } from "./dev-stores.js";
import { ensureKafka } from "./kafka-broker.js";
import { SERVICE_NODE_FLAGS, serviceProcessEnv } from "./node-flags.js";
import { createProcessGroup, waitReady } from "./process-group.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const GATEWAY_PORT = 8080;

const KAFKA_BROKERS = process.env.KAFKA_BROKERS || "127.0.0.1:9092";
// Every process learns where every service and the broker are, as a deployment would tell it.
const serviceUrls = {
  ...Object.fromEntries(
    services.map(({ name, port }) => [serviceUrlVariable(name), `127.0.0.1:${port}`]),
  ),
  KAFKA_BROKERS,
};

// Services check tokens and call each other as themselves; the gateway only checks user tokens
// and never holds the service secret.
const { AUTH_SERVICE_SECRET, ...userAuth } = devAuthEnv();

const processes = [
  ...services.map((entry) => ({
    name: entry.name,
    main: entry.main,
    ready: `http://127.0.0.1:${entry.port}/ready`,
    env: {
      GRPC_PORT: String(entry.port),
      ...localStoreEnv(entry),
      ...userAuth,
      AUTH_SERVICE_SECRET: AUTH_SERVICE_SECRET as string,
    },
  })),
  {
    name: "gateway",
    main: "gateway/src/main.js",
    ready: `http://127.0.0.1:${GATEWAY_PORT}/health`,
    // The storefront's sign-in by user name: development only, never in compose.yaml.
    env: { PORT: String(GATEWAY_PORT), ...userAuth, DEV_SIGN_IN: "true" },
  },
];

ensureStores();
const kafka = await ensureKafka({ ...process.env, KAFKA_BROKERS });
await migrateLocalDatabases("dev");

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

const started = processes.map(({ name, main, env, ready }) => {
  const child = group.start(
    name,
    `${root}dist/${main}`,
    { ...serviceProcessEnv(), ...serviceUrls, ...env },
    SERVICE_NODE_FLAGS,
  );
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

const [first] = services;
const rows = services.map(({ name, port }) => {
  const at = `localhost:${port}`;
  const tryIt =
    name === first.name
      ? `   try: npx buf curl --http2-prior-knowledge --list-services http://${at}`
      : "";
  return `  ${name.padEnd(14)} ${at}   gRPC, gRPC-Web, Connect${tryIt}`;
});
console.log(`
connect-shop is running. Ctrl-C stops it.
  storefront     http://localhost:${GATEWAY_PORT}/   sign in with any user name; cards tok_visa, tok_chargeDeclined, tok_insufficientFunds
  REST gateway   http://localhost:${GATEWAY_PORT}   (also :8081, :8082)   try: curl localhost:${GATEWAY_PORT}/products
  tokens         TOKEN=$(npm run --silent token -- --user alice [--admin])   then: curl -H "Authorization: Bearer $TOKEN" …
  OpenAPI        http://localhost:${GATEWAY_PORT}/openapi.json
${rows.join("\n")}
  kafka          ${KAFKA_BROKERS}   topics payment-events, stock-events, basket-events   try: npm run topic -- payment-events
`);
