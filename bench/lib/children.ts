import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** A server process the bench started; its stdout and stderr go to files in the run folder. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly stderrFile: string;
  /** `performance.now()` at spawn, to place a measured window inside the process's profile. */
  readonly startedAt: number;
}

/**
 * Every process the bench starts, so that all of them stop on success, on failure and on
 * Ctrl-C. `process.on("exit")` is the last resort: it SIGKILLs whatever is still alive.
 */
export function createProcessGroup(runDir: string) {
  const children: Child[] = [];
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  process.on("exit", () => {
    for (const child of children) if (alive(child.process)) child.process.kill("SIGKILL");
  });

  return {
    /** Starts `node [nodeArgs] script` with `env`; stdout to `<name>.log`, stderr to `<name>.err`. */
    start(name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Child {
      const stdout = openSync(join(runDir, `${name}.log`), "w");
      const stderrFile = join(runDir, `${name}.err`);
      const stderr = openSync(stderrFile, "w");
      const child = spawn(process.execPath, [...nodeArgs, script], {
        env: { ...process.env, ...env },
        stdio: ["ignore", stdout, stderr],
      });
      closeSync(stdout);
      closeSync(stderr);
      if (child.pid === undefined) throw new Error(`${name} did not start`);
      const started = {
        name,
        process: child,
        pid: child.pid,
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
      throw new Error(`${child.name} exited before it was ready:\n${tail(child.stderrFile)}`);
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

/** Peak resident set size since the process started (VmHWM), in MB; NaN once it is gone. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, "VmHWM");
}

/** Resident set size now (VmRSS), in MB; NaN once the process is gone. */
export function rssMb(pid: number): number {
  return statusMb(pid, "VmRSS");
}

function statusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) the process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  try {
    // The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command; in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
