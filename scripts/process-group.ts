import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** A server process of the group; with a log folder, its stdout and stderr go to files there. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly stdoutFile: string | undefined;
  readonly stderrFile: string | undefined;
  /** `performance.now()` at spawn, to place a measured window inside the process's profile. */
  readonly startedAt: number;
}

/**
 * Every server process a supervisor (`npm start`, the bench) starts, so that all of them stop on
 * success, on failure and on Ctrl-C. Each child runs in its own process group: Ctrl-C reaches
 * only the supervisor, which stops each child once (a second signal would make a service exit
 * without draining). `process.on("exit")` is the last resort: it SIGKILLs whatever is still alive.
 * With `logDir`, a child's stdout and stderr go to `<name>.log` and `<name>.err` there; without,
 * to the supervisor's own.
 */
export function createProcessGroup(logDir?: string) {
  const children: Child[] = [];
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  process.on("exit", () => {
    for (const child of children) if (alive(child.process)) child.process.kill("SIGKILL");
  });

  return {
    /** Starts `node [nodeArgs] script` with `env` added to this process's environment. */
    start(
      name: string,
      script: string,
      env: NodeJS.ProcessEnv,
      nodeArgs: readonly string[] = [],
    ): Child {
      const stdoutFile = logDir && join(logDir, `${name}.log`);
      const stderrFile = logDir && join(logDir, `${name}.err`);
      const stdout = stdoutFile ? openSync(stdoutFile, "w") : "inherit";
      const stderr = stderrFile ? openSync(stderrFile, "w") : "inherit";
      const child = spawn(process.execPath, [...nodeArgs, script], {
        env: { ...process.env, ...env },
        stdio: ["ignore", stdout, stderr],
        detached: true,
      });
      if (typeof stdout === "number") closeSync(stdout);
      if (typeof stderr === "number") closeSync(stderr);
      if (child.pid === undefined) throw new Error(`${name} did not start`);
      const started = {
        name,
        process: child,
        pid: child.pid,
        stdoutFile,
        stderrFile,
        startedAt: performance.now(),
      };
      children.push(started);
      return started;
    },

    /** SIGTERM to every child (they drain), SIGKILL to any still alive after `graceMs`. */
    async stopAll(graceMs = 15_000): Promise<void> {
      const running = children.filter((child) => alive(child.process));
      const exited = running.map(
        (child) => new Promise((resolve) => child.process.once("exit", resolve)),
      );
      for (const child of running) child.process.kill("SIGTERM");
      const timer = delay(graceMs).then(() => "timeout" as const);
      if ((await Promise.race([Promise.all(exited), timer])) === "timeout") {
        for (const child of running) if (alive(child.process)) child.process.kill("SIGKILL");
        await Promise.all(exited);
      }
    },
  };
}

export type ProcessGroup = ReturnType<typeof createProcessGroup>;

/** Polls `url` until it answers 200; fails early with the child's stderr when it dies. */
export async function waitReady(child: Child, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      const stderr = child.stderrFile ? `:\n${tail(child.stderrFile)}` : "";
      throw new Error(`${child.name} exited before it was ready${stderr}`);
    }
    const ok = await fetch(url).then(
      (res) => res.body?.cancel().then(() => res.ok) ?? res.ok,
      () => false,
    );
    if (ok) return;
    await delay(100);
  }
  throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs} ms`);
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no stderr)";
  }
}
