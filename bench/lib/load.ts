import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * What every row's load generator shares: h2load (`h2load.ts`) for single requests, the gRPC
 * frames driver (`grpc-frames.ts`) for many request bodies, the checkout driver
 * (`checkout-driver.ts`) for sequences h2load cannot make.
 */

/** How long a load runs and where its per-request log goes; the same for every row. */
export interface LoadWindow {
  /** Unmeasured seconds first, on the same connections (JIT, pools, caches). */
  readonly warmUpSeconds: number;
  readonly durationSeconds: number;
  /** Per-request log (`.tsv`); a load may keep its own summary beside it as `.out`. */
  readonly logFile: string;
}

/** What a load saw in its measured window. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  /** Requests (or checkouts) completed in the window: the divisor of CPU time per request. */
  readonly done: number;
  /** Requests that failed: non-2xx, broken streams, a wrong final state, a timeout. */
  readonly failed: number;
  /** Microseconds each measured request (or sample) took. */
  readonly latenciesUs: number[];
  /** Why the row has no numbers, shown after its label (e.g. "n/a (no consumer?)"). */
  readonly note?: string;
}

/**
 * Called as the measured window starts and as it ends, with the pid of the process generating
 * the load, so the caller can sample CPU time over exactly that window.
 */
export type PhaseListener = (phase: "start" | "end", loadPid: number) => void;

/** One row's load, run once per round: warm-up, then the measured window. */
export type Load = (window: LoadWindow, onPhase: PhaseListener) => Promise<LoadResult>;

/**
 * Runs a load generator's process to its end: `onPhase` is called with its pid as it prints a
 * line starting with `marks.start` (its measured window starts) and one starting with
 * `marks.end`, and it is killed should the bench exit first. Answers its exit status, its
 * standard output (every line) and its standard error.
 */
export async function runLoadProcess(
  command: string,
  args: readonly string[],
  marks: { readonly start: string; readonly end: string },
  onPhase: PhaseListener,
): Promise<{ status: number | null; output: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const stop = () => child.kill("SIGKILL");
  process.once("exit", stop);
  let output = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  for await (const line of createInterface({ input: child.stdout })) {
    output += `${line}\n`;
    if (line.startsWith(marks.start)) onPhase("start", child.pid ?? 0);
    if (line.startsWith(marks.end)) onPhase("end", child.pid ?? 0);
  }
  const status = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  process.off("exit", stop);
  return { status, output, stderr };
}
