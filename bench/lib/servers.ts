import { existsSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { type Child, type ProcessGroup, waitReady } from "../../scripts/process-group.js";
import type { ProductDatabaseConfig } from "../../services/product/src/db/connection.js";

/** A started server: its process and the base URL it answers on. */
export interface Server {
  readonly child: Child;
  readonly url: string;
}

/** The bench's servers; gateway and basket are absent until their code exists in dist/. */
export interface Servers {
  readonly floor: Server;
  readonly product: Server;
  readonly gateway?: Server;
  readonly basket?: Server;
}

export interface ServerOptions {
  readonly root: string;
  readonly runDir: string;
  readonly database: ProductDatabaseConfig;
  /** Names of the processes to run under `node --cpu-prof`. */
  readonly cpuProf: readonly string[];
  /** Extra node flags for every server, the floor included (e.g. V8 heap sizing). */
  readonly nodeOptions: readonly string[];
  readonly log: (line: string) => void;
}

/** Entry points, relative to the repository root. */
const MAIN = {
  floor: "dist/bench/floor.js",
  product: "dist/services/product/src/main.js",
  gateway: "dist/gateway/src/main.js",
  basket: "dist/services/basket/src/main.js",
};

/**
 * Starts every server on a free loopback port, each with logging at `info` to a file in the run
 * folder (the honest setting), and waits until each says it is ready.
 */
export async function startServers(group: ProcessGroup, options: ServerOptions): Promise<Servers> {
  const { database: db, root } = options;
  const [floorPort, productPort, gatewayPort, basketPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const dbEnv = {
    DB_HOST: db.host,
    DB_PORT: String(db.port),
    DB_USER: db.user,
    DB_PASSWORD: db.password,
    DB_NAME: db.database,
  };
  const common = { HOST: "127.0.0.1", LOG_LEVEL: "info" };
  const start = (name: keyof typeof MAIN, port: number, env: NodeJS.ProcessEnv) => {
    const prof = options.cpuProf.includes(name)
      ? ["--cpu-prof", `--cpu-prof-dir=${options.runDir}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
    const flags = [...options.nodeOptions, ...prof];
    const child = group.start(name, join(root, MAIN[name]), { ...common, ...env }, flags);
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const available = (name: keyof typeof MAIN) => {
    const found = existsSync(join(root, MAIN[name]));
    if (!found) options.log(`${MAIN[name]} does not exist yet: skipping the ${name} rows`);
    return found;
  };

  const floor = start("floor", floorPort, { ...dbEnv, PORT: String(floorPort) });
  const product = start("product", productPort, { ...dbEnv, GRPC_PORT: String(productPort) });
  const basket = available("basket")
    ? start("basket", basketPort, {
        GRPC_PORT: String(basketPort),
        REDIS_HOST: process.env.REDIS_HOST ?? "127.0.0.1",
        REDIS_PORT: process.env.REDIS_PORT ?? "6379",
        REDIS_DB: process.env.BENCH_REDIS_DB ?? "14",
        PRODUCT_SERVICE_URL: product.url,
      })
    : undefined;
  const gateway = available("gateway")
    ? start("gateway", gatewayPort, {
        PORT: String(gatewayPort),
        EXTRA_PORTS: "none",
        PRODUCT_SERVICE_URL: product.url,
        BASKET_SERVICE_URL: `http://127.0.0.1:${basketPort}`,
      })
    : undefined;

  await waitReady(floor.child, `${floor.url}/health`);
  await waitReady(product.child, `${product.url}/ready`);
  if (basket) await waitReady(basket.child, `${basket.url}/ready`);
  if (gateway) await waitReady(gateway.child, `${gateway.url}/health`);
  return { floor, product, gateway, basket };
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
