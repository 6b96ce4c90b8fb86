import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import {
  type Load,
  type LoadResult,
  type LoadWindow,
  type PhaseListener,
  runLoadProcess,
} from "./load.js";

/** One h2load load: what to hit and how hard (how long is the LoadWindow). */
export interface LoadSpec {
  readonly uri: string;
  /** HTTP/1.1 (`--h1`) instead of h2c. */
  readonly h1: boolean;
  readonly clients: number;
  /** Concurrent streams per connection (h2c); 1 keeps every protocol at one request per socket. */
  readonly streams: number;
  readonly headers?: readonly string[];
  /** File whose bytes are POSTed as every request's body. */
  readonly bodyFile?: string;
}

/**
 * A row's load made by h2load: its rate and HTTP-level failures (stream errors, non-2xx) from
 * its summary, per-request latencies (request start to end of response) from its log file.
 */
export function h2load(spec: LoadSpec): Load {
  return (window, onPhase) => runH2load({ ...spec, ...window }, onPhase);
}

/** True when h2load is on PATH. */
export function haveH2load(): boolean {
  return spawnSync("h2load", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Runs h2load once: a warm-up phase (not measured) and then a timed main phase, so a run stops
 * by itself. `onPhase` is called as the main phase starts and ends (h2load flushes those lines),
 * which lets the caller sample CPU time over exactly the measured window (h2load's own too).
 */
async function runH2load(spec: LoadSpec & LoadWindow, onPhase: PhaseListener): Promise<LoadResult> {
  const { status, output, stderr } = await runLoadProcess(
    "h2load",
    h2loadArgs(spec),
    H2LOAD_PHASES,
    onPhase,
  );
  writeFileSync(spec.logFile.replace(/\.tsv$/, ".out"), output);
  if (status !== 0) throw new Error(`h2load exited with ${status}:\n${stderr}${output}`);
  return parseResult(output, spec.logFile);
}

const H2LOAD_PHASES = {
  start: "Main benchmark duration is started",
  end: "Main benchmark duration is over",
};

function h2loadArgs(spec: LoadSpec & LoadWindow): string[] {
  const args = [
    ...(spec.h1 ? ["--h1"] : []),
    `--clients=${spec.clients}`,
    `--max-concurrent-streams=${spec.streams}`,
    "--threads=1",
    `--warm-up-time=${spec.warmUpSeconds}s`,
    `--duration=${spec.durationSeconds}s`,
    `--log-file=${spec.logFile}`,
  ];
  for (const header of spec.headers ?? []) args.push(`--header=${header}`);
  if (spec.bodyFile) args.push(`--data=${spec.bodyFile}`);
  args.push(spec.uri);
  return args;
}

function parseResult(output: string, logFile: string): LoadResult {
  const rate = /finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(output)?.[1];
  if (rate === undefined) throw new Error(`cannot read h2load's summary:\n${output}`);
  const latenciesUs: number[] = [];
  let failed = 0;
  for (const row of readFileSync(logFile, "utf8").split("\n")) {
    if (row === "") continue;
    const [, status, micros] = row.split("\t");
    const code = Number(status);
    // 0: the response headers came in the warm-up and the stream closed after it; h2load counts
    // it a success but logs no status. -1: a broken stream.
    if (code !== 0 && (code < 200 || code > 299)) failed++;
    latenciesUs.push(Number(micros));
  }
  return { requestsPerSecond: Number(rate), done: latenciesUs.length, failed, latenciesUs };
}

/** The q-quantile (0..1) of `sorted`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
