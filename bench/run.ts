/**
 * `npm run bench`: seeds the bench catalogue, makes sure Kafka answers, starts the floor, every
 * listed service and the gateway as separate processes, verifies each row with a real client,
 * loads each on loopback (h2load, or the checkout driver for checkout sequences), prints one
 * table, and stops every process it started — also when it fails or is interrupted. See
 * bench/README.md.
 */
import { mkdtempSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { service } from "#services";
import { ensureStores, localDatabase, migrateLocalDatabases } from "../scripts/dev-stores.js";
import { SERVICE_NODE_FLAGS } from "../scripts/node-flags.js";
import { createProcessGroup } from "../scripts/process-group.js";
import { benchKafka } from "./lib/bench-kafka.js";
import {
  benchDatabase,
  catalogueDatabaseName,
  PRODUCT_COUNT,
  prepareCatalogue,
  prepareCheckoutProducts,
} from "./lib/fixture.js";
import { GC_TRACE_FLAGS } from "./lib/gc-trace.js";
import { haveH2load } from "./lib/h2load.js";
import { measureIdle } from "./lib/idle.js";
import { measureAll } from "./lib/measure.js";
import { peakRssMb } from "./lib/proc-stats.js";
import { formatReport } from "./lib/report.js";
import { startServers } from "./lib/servers.js";
import { createStoreCpu } from "./lib/store-cpu.js";
import { prepareTargets } from "./lib/targets.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
    rounds: { type: "string", default: "1" },
    only: { type: "string" },
    "cpu-prof": { type: "string", default: "" },
    "heap-sample": { type: "string", default: "" },
    "node-options": { type: "string", default: "" },
    token: { type: "string" },
    products: { type: "string", default: String(PRODUCT_COUNT) },
    idle: { type: "string", default: "0" },
  },
});

if (Number(process.versions.node.split(".")[0]) < 22) {
  log(`Node ${process.version} is too old for connect-node 2.2; run it with \`npm run bench\``);
  process.exit(2);
}
if (!haveH2load()) {
  log("h2load (the load generator) is missing; install it with: apt-get install -y nghttp2-client");
  process.exit(2);
}

const productCount = Number(args.products);
if (!Number.isInteger(productCount) || productCount < 1000) {
  log(`--products must be a whole number of at least 1000, not "${args.products}"`);
  process.exit(2);
}
// Every process that reads the product bench database (services, floor, peer, store CPU)
// takes its name from here: one database per catalogue size.
process.env.PRODUCT_BENCH_DB_NAME = catalogueDatabaseName(productCount);

const runDir = mkdtempSync(join(tmpdir(), "connect-shop-bench-"));
log(`logs, h2load request logs and profiles go to ${runDir}`);
ensureStores("bench");
await migrateLocalDatabases("bench", log);
const database = benchDatabase();
const productId = await prepareCatalogue(database, productCount, log);
const checkoutProductIds = await prepareCheckoutProducts(database, productCount);
// The payment process relays its outbox to Kafka and the basket service consumes it, as in
// `npm start`, on a broker of the bench's own unless KAFKA_BROKERS names one.
const kafka = await benchKafka(log);
log(
  `every row requests product ${productId} (one fixed id for all rows; h2load has no templating)`,
);

const group = createProcessGroup(runDir);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every server`);
    void group
      .stopAll()
      .then(() => kafka.stop())
      .finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  const cpuProf = args["cpu-prof"].split(",").filter(Boolean);
  const heapSample = args["heap-sample"].split(",").filter(Boolean);
  // The services' production flags, for every server (the floor too, to keep it a fair floor),
  // and V8's GC trace, the source of the allocation columns: its cost was below the noise.
  const nodeOptions = [
    ...SERVICE_NODE_FLAGS,
    ...GC_TRACE_FLAGS,
    ...args["node-options"].split(" ").filter(Boolean),
  ];
  const servers = await startServers(group, {
    root,
    runDir,
    database,
    kafkaBrokers: kafka.brokers,
    cpuProf,
    heapSample,
    nodeOptions,
    log,
  });
  const all = await prepareTargets(servers, {
    runDir,
    productId,
    checkoutProductIds,
    concurrency: Number(args.concurrency),
    userId: `bench-${process.pid}`,
    bearerToken: args.token,
    log,
  });
  const only = args.only?.split(",");
  // A row held against a peer brings its peer along, so its "÷ peer" column has a number.
  const wanted = new Set(
    only?.flatMap((key) => [key, ...all.filter((t) => t.key === key).flatMap((t) => t.peer ?? [])]),
  );
  const targets = all.filter((target) => !only || wanted.has(target.key));
  const rssUnderLoad = new Map<string, number>();
  const stores = createStoreCpu({
    postgresDatabases: [
      database.database,
      localDatabase(service("notification"), "bench").database,
    ],
    payment: localDatabase(service("payment"), "bench"),
    kafkaPid: kafka.pid,
  });
  const started = [
    servers.floor,
    servers.grpcJsPeer,
    servers.chainFront,
    servers.chainBack,
    ...Object.values(servers.services),
    servers.gateway,
    servers.gatewayEdge,
  ];
  const idleSeconds = Number(args.idle);
  let idle = "";
  const results = await measureAll(targets, {
    stores,
    runDir,
    rssUnderLoad,
    heapSampled: new Set(heapSample),
    rounds: Number(args.rounds),
    warmUpSeconds: Number(args.warmup),
    durationSeconds: Number(args.duration),
    log,
  })
    .then(async (measured) => {
      if (idleSeconds > 0) {
        log(`idle: ${idleSeconds} s with no load (after 3 s for the last events to drain)`);
        const processes = started.flatMap((server) =>
          server ? [{ name: server.child.name, pid: server.child.pid }] : [],
        );
        idle = await measureIdle(processes, stores, { seconds: idleSeconds, settleSeconds: 3 });
      }
      return measured;
    })
    .finally(() => stores.close());
  const rss = new Map(
    started.flatMap((server) => (server ? [[server.child.name, peakRssMb(server.child.pid)]] : [])),
  );
  process.stdout.write(
    `\n${args.concurrency} concurrent requests per row, ${args.warmup}s warm-up + ${args.duration}s ` +
      `measured × ${args.rounds} round(s); h2load and the servers share this machine's ` +
      `${availableParallelism()} cores.` +
      (nodeOptions.length > 0 ? ` Servers ran with node ${nodeOptions.join(" ")}.` : "") +
      "\n\n",
  );
  process.stdout.write(formatReport(results, rss, rssUnderLoad, stores.names));
  process.stdout.write(idle);
  process.stdout.write(
    "Store CPU: PostgreSQL backends of the bench product and notification databases, MariaDB threads of the bench " +
      "payment database's connections; redis* and kafka* are whole processes, redis shared with " +
      "anything else using it, the broker the bench's own unless KAFKA_BROKERS named one. " +
      "all = servers + load generator + stores.\n",
  );
  if (results.some((result) => result.failed > 0)) {
    log("some requests failed: the rates above include errors");
    exitCode = 1;
  }
} catch (error) {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  exitCode = 1;
} finally {
  await group.stopAll();
  await kafka.stop();
  if (args["cpu-prof"])
    log(`CPU profiles: ${runDir}/*.cpuprofile (node dist/bench/profile-top.js)`);
  if (args["heap-sample"])
    log(`heap profiles: ${runDir}/*.heapprofile (node dist/bench/profile-top.js)`);
}
process.exit(exitCode);
