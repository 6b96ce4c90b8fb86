import { existsSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "#gen/health/v1/health_pb";
import { type ServiceName, services, serviceUrlVariable } from "#services";
import { databaseEnv } from "#shared/database";
import { devAuthEnv } from "../../scripts/dev-auth.js";
import { localRedis, localStoreEnv } from "../../scripts/dev-stores.js";
import { serviceProcessEnv } from "../../scripts/node-flags.js";
import { type Child, type ProcessGroup, waitReady } from "../../scripts/process-group.js";
import type { ProductDatabaseConfig } from "../../services/product/src/db/connection.js";

/**
 * `KAFKA_GROUP_PREFIX` of the bench's services: their consumer groups are `bench-product-stock`,
 * …, or `bench-<prefix>product-stock` with `KAFKA_GROUP_PREFIX` set, so that two benches on one
 * broker do not split the partitions either.
 */
export const BENCH_GROUP_PREFIX = `bench-${process.env.KAFKA_GROUP_PREFIX ?? ""}`;

/**
 * The module `--heap-sample` loads into a process (under dist/): it samples the heap from one
 * SIGUSR2 to the next and writes `<run folder>/<name>.<n>.heapprofile`.
 */
export const HEAP_SAMPLER = "bench/lib/heap-sampler.js";

/** A started server: its process and the base URL it answers on. */
export interface Server {
  readonly child: Child;
  readonly url: string;
}

/** The bench's servers; a service or the gateway is absent until its code exists in dist/. */
export interface Servers {
  readonly floor: Server;
  /** The grpc-js peer (bench/grpc-js-peer.ts): the same read on plain @grpc/grpc-js. */
  readonly grpcJsPeer: Server;
  /**
   * The bare two-hop chain, the REST rows' peer: bench/chain-front.ts (node:http), which calls
   * bench/chain-back.ts (node:http2 + the floor's read) over one h2c session.
   */
  readonly chainFront: Server;
  readonly chainBack: Server;
  /** The gateway with rate limiting off: the REST rows and the checkout driver use it. */
  readonly gateway?: Server;
  /**
   * A second gateway with the edge duties on (rate limiting counted in Redis, limits far above
   * any load), for the edge-cost row beside `rest-get`.
   */
  readonly gatewayEdge?: Server;
  /** Every service of services/registry.ts that could start, by name. */
  readonly services: Partial<Record<ServiceName, Server>>;
}

export interface ServerOptions {
  readonly root: string;
  readonly runDir: string;
  /** The floor's database: the product service's bench database. */
  readonly database: ProductDatabaseConfig;
  /** `KAFKA_BROKERS` of every service: the payment relay publishes there, consumers read. */
  readonly kafkaBrokers: string;
  /** Names of the processes to run under `node --cpu-prof`. */
  readonly cpuProf: readonly string[];
  /** Names of the processes to load `heap-sampler.js` into (see `HEAP_SAMPLER`). */
  readonly heapSample: readonly string[];
  /** Extra node flags for every server, the floor included (e.g. V8 heap sizing). */
  readonly nodeOptions: readonly string[];
  readonly log: (line: string) => void;
}

/**
 * Starts the floor, the peers, every listed service (on its bench store) and the gateway, each on a free
 * loopback port with logging at `info` to a file in the run folder (the honest setting), and
 * waits until each says it is ready.
 */
export async function startServers(group: ProcessGroup, options: ServerOptions): Promise<Servers> {
  const { root } = options;
  const [floorPort, peerPort, frontPort, backPort, gatewayPort, edgePort, ...servicePorts] =
    await freePorts(services.length + 6);
  const listed = services.map((entry, index) => ({ entry, port: servicePorts[index] as number }));
  const serviceUrls = Object.fromEntries(
    listed.map(({ entry, port }) => [serviceUrlVariable(entry.name), `http://127.0.0.1:${port}`]),
  );
  const common = {
    // As `npm start` runs the services; the floor and the peers too, as with the node flags.
    ...serviceProcessEnv(),
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    KAFKA_BROKERS: options.kafkaBrokers,
    // Consumer groups of their own: beside `npm start` on the same broker, the services would
    // otherwise split the partitions with it and the bench's baskets would never clear.
    KAFKA_GROUP_PREFIX: BENCH_GROUP_PREFIX,
    ...serviceUrls,
  };
  const start = (name: string, main: string, port: number, env: NodeJS.ProcessEnv) => {
    const prof = options.cpuProf.includes(name)
      ? ["--cpu-prof", `--cpu-prof-dir=${options.runDir}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
    const sampled = options.heapSample.includes(name);
    const heap = sampled ? [`--import=${join(root, "dist", HEAP_SAMPLER)}`] : [];
    const heapEnv = sampled ? { HEAP_SAMPLE_PREFIX: join(options.runDir, name) } : {};
    const flags = [...options.nodeOptions, ...prof, ...heap];
    const child = group.start(
      name,
      join(root, "dist", main),
      { ...common, ...env, ...heapEnv },
      flags,
    );
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const available = (name: string, main: string) => {
    const found = existsSync(join(root, "dist", main));
    if (!found) options.log(`dist/${main} does not exist yet: skipping the ${name} rows`);
    return found;
  };

  const floor = start("floor", "bench/floor.js", floorPort as number, {
    ...databaseEnv(options.database),
    PORT: String(floorPort),
  });
  const grpcJsPeer = start("grpc-js-peer", "bench/grpc-js-peer.js", peerPort as number, {
    ...databaseEnv(options.database),
    PORT: String(peerPort),
  });
  const chainBack = start("chain-back", "bench/chain-back.js", backPort as number, {
    ...databaseEnv(options.database),
    PORT: String(backPort),
  });
  const chainFront = start("chain-front", "bench/chain-front.js", frontPort as number, {
    PORT: String(frontPort),
    BACK_URL: chainBack.url,
  });
  const started: Partial<Record<ServiceName, Server>> = {};
  for (const { entry, port } of listed) {
    if (!available(entry.name, entry.main)) continue;
    const env = { GRPC_PORT: String(port), ...localStoreEnv(entry, "bench"), ...devAuthEnv() };
    started[entry.name] = start(entry.name, entry.main, port, env);
  }
  const gatewayMain = "gateway/src/main.js";
  const haveGateway = available("gateway", gatewayMain);
  const gateway = haveGateway
    ? start("gateway", gatewayMain, gatewayPort as number, {
        PORT: String(gatewayPort),
        EXTRA_PORTS: "none",
        // Every bench client is 127.0.0.1: limits would refuse the load the other rows measure.
        RATE_LIMIT: "off",
        ...userAuthEnv(),
      })
    : undefined;
  const gatewayEdge = haveGateway
    ? start("gateway-edge", gatewayMain, edgePort as number, {
        PORT: String(edgePort),
        EXTRA_PORTS: "none",
        ...edgeEnv(),
        ...userAuthEnv(),
      })
    : undefined;

  await waitReady(floor.child, `${floor.url}/health`);
  await waitGrpcReady(grpcJsPeer.child, grpcJsPeer.url);
  // The front relays /health to the back: ready means both hops answer.
  await waitReady(chainFront.child, `${chainFront.url}/health`);
  for (const server of Object.values(started)) await waitReady(server.child, `${server.url}/ready`);
  if (gateway) await waitReady(gateway.child, `${gateway.url}/health`);
  if (gatewayEdge) await waitReady(gatewayEdge.child, `${gatewayEdge.url}/health`);
  return { floor, grpcJsPeer, chainFront, chainBack, gateway, gatewayEdge, services: started };
}

/**
 * Waits until a plain gRPC server (no HTTP GET /health) answers: any gRPC status, even
 * Unimplemented for the health service it lacks, means it listens and speaks gRPC.
 */
async function waitGrpcReady(child: Child, url: string, timeoutMs = 20_000): Promise<void> {
  const client = createClient(Health, createGrpcTransport({ baseUrl: url }));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before it was ready (see its log in the run folder)`);
    }
    const answered = await client.check({}).then(
      () => true,
      (error: unknown) => ConnectError.from(error).code !== Code.Unavailable,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer gRPC at ${url} within ${timeoutMs} ms`);
}

/** Far above what one bench client can send in a window, so every request is counted, none refused. */
const UNREACHED_LIMIT = "1000000000,1000000000";

/**
 * The edge gateway's environment: rate limiting on, counted in the bench's Redis database, every
 * class's limit out of reach. (Authentication, once it exists, is on by default there too.)
 */
export function edgeEnv(): Record<string, string> {
  const redis = localRedis("bench");
  return {
    RATE_LIMIT: "on",
    RATE_LIMIT_CATALOGUE: UNREACHED_LIMIT,
    RATE_LIMIT_READ: UNREACHED_LIMIT,
    RATE_LIMIT_WRITE: UNREACHED_LIMIT,
    RATE_LIMIT_CHECKOUT: UNREACHED_LIMIT,
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
    REDIS_DB: String(redis.db),
    ...(redis.password === undefined ? {} : { REDIS_PASSWORD: redis.password }),
  };
}

/** `count` distinct ports the kernel reports free on loopback right now. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The gateway's auth settings: the dev user tokens, never the service secret. */
function userAuthEnv(): Record<string, string> {
  const { AUTH_SERVICE_SECRET: _, ...userAuth } = devAuthEnv();
  return userAuth;
}
