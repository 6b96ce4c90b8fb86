import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import type { DatabaseSettings } from "#shared/database";
import { TEST_AUTH_ENV } from "#shared-test/auth";

const script = fileURLToPath(new URL("./product-instance.ts", import.meta.url));

/** A product instance run as a child process on a fixed loopback port. */
export interface ProductProcess {
  readonly port: number;
  readonly url: string;
  /** Starts it (again, on the same port); resolves once it listens. */
  start(): Promise<void>;
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  stop(signal: "SIGTERM" | "SIGKILL"): Promise<number | null>;
  /** GetProduct calls this run of the process has answered, from its own /metrics. */
  served(): Promise<number>;
}

/** A product instance process on a free port, against `database` (not started yet). */
export async function productProcess(database: DatabaseSettings): Promise<ProductProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const env = {
    ...process.env,
    GRPC_PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    DB_HOST: database.host,
    DB_PORT: String(database.port),
    DB_USER: database.user,
    DB_PASSWORD: database.password,
    DB_NAME: database.database,
    ...TEST_AUTH_ENV,
  };
  return {
    port,
    url,
    async start() {
      const started = spawn(process.execPath, ["--conditions=source", "--import", "tsx", script], {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      });
      child = started;
      await new Promise<void>((resolve, reject) => {
        let output = "";
        started.stdout?.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("listening")) resolve();
        });
        started.once("exit", (code) => reject(new Error(`product instance exited with ${code}`)));
      });
    },
    async stop(signal) {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return null;
      const exited = new Promise<number | null>((resolve) =>
        running.once("exit", (code) => resolve(code)),
      );
      running.kill(signal);
      return exited;
    },
    async served() {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text
        .split("\n")
        .find(
          (each) =>
            each.startsWith("shop_rpc_requests_total{") &&
            /method="GetProduct"/.test(each) &&
            /code="ok"/.test(each),
        );
      return line ? Number(line.split(" ").at(-1)) : 0;
    },
  };
}

/** A loopback port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
