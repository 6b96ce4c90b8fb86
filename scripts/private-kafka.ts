import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { scriptFile } from "./dev-stores.js";

// Run from scripts/ by the tests and from dist/scripts/ by the bench.
const kafkaScript = scriptFile("kafka.sh");
const root = path.dirname(path.dirname(kafkaScript));
const run = promisify(execFile);

/**
 * A Kafka broker of its own, run by `scripts/kafka.sh` in a temporary folder on free ports with
 * the jars of `.kafka/libs` (fetched there once), so a test may stop or freeze it, and a bench
 * load it, without touching the broker everyone else uses.
 */
export type PrivateKafka = {
  readonly brokers: readonly string[];
  /** The broker's process id while it runs. */
  pid(): Promise<number>;
  /** Starts it (formatting its storage the first time) and resolves once it answers; in ms. */
  start(): Promise<number>;
  /** SIGTERM, as `scripts/kafka.sh stop` does: a clean shutdown; its data stays for `start`. */
  stop(): Promise<void>;
  /** SIGSTOP: the process hangs with its sockets open, as a broker in a long GC pause would. */
  freeze(): Promise<void>;
  /** SIGCONT after `freeze`. */
  thaw(): Promise<void>;
  /** Stops it if it runs and deletes its folder. */
  remove(): Promise<void>;
};

export async function createPrivateKafka(): Promise<PrivateKafka> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "connect-shop-kafka-"));
  const [port, controllerPort] = await freePorts(2);
  const env = {
    ...process.env,
    KAFKA_DIR: dir,
    KAFKA_BROKERS: `127.0.0.1:${port}`,
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_LIBS: path.join(root, ".kafka", "libs"),
    // One random cluster id in 64 begins with '-', which StorageTool once took for an option
    // (a CI failure): this broker always gets such an id, so the suite shows kafka.sh handles it.
    KAFKA_CLUSTER_ID: `-${randomBytes(16).toString("base64url").slice(1)}`,
  };
  const script = (command: string) =>
    run("bash", [kafkaScript, command], { env, timeout: 300_000 });
  const pid = async () => Number((await readFile(path.join(dir, "kafka.pid"), "utf8")).trim());
  const signal = async (name: NodeJS.Signals) => {
    process.kill(await pid(), name);
  };
  return {
    brokers: [`127.0.0.1:${port}`],
    pid,
    async start() {
      const began = performance.now();
      await script("start");
      return Math.round(performance.now() - began);
    },
    async stop() {
      await script("stop");
    },
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
    async remove() {
      await signal("SIGCONT").catch(() => {});
      await script("stop").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `count` TCP ports free on 127.0.0.1 right now. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
