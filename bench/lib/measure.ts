import { join } from "node:path";
import { type GcPerRequest, gcPerRequest, traceOffsets } from "./gc-trace.js";
import { quantile } from "./h2load.js";
import { cpuMs, rssMb } from "./proc-stats.js";
import type { StoreCpu, StoreSample } from "./store-cpu.js";
import type { Target } from "./targets.js";

export interface MeasureOptions {
  readonly runDir: string;
  readonly rounds: number;
  readonly warmUpSeconds: number;
  readonly durationSeconds: number;
  readonly log: (line: string) => void;
  /** Largest resident set seen per process name while h2load ran (sampled), in MB. */
  readonly rssUnderLoad: Map<string, number>;
  /** The stores' CPU, sampled over every row's measured window like the servers'. */
  readonly stores?: StoreCpu;
  /**
   * Processes (by name) that sample their heap from one SIGUSR2 to the next (`--heap-sample`):
   * signalled as each of their rows' measured windows starts and ends.
   */
  readonly heapSampled?: ReadonlySet<string>;
}

/** A row's numbers over every round: median rate, latencies pooled over rounds. */
export interface Measurement {
  readonly target: Target;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Non-2xx or broken streams (h2load), plus non-OK codes for gRPC rows (server metrics). */
  readonly failed: number;
  /** Why the row has no numbers, if it has none (from its load). */
  readonly note: string | undefined;
  /** CPU time per request of each serving process, in the order of `target.processes`. */
  readonly cpuUsPerRequest: readonly number[];
  /**
   * Heap allocation and main-thread GC time per request of each serving process, in the order
   * of `target.processes`, from its `--trace-gc-nvp` lines (NaN without them).
   */
  readonly gcPerRequest: readonly GcPerRequest[];
  /** CPU time per request of the load generator itself: h2load, or this process's driver. */
  readonly loadCpuUsPerRequest: number;
  /** CPU time per request of each store, in the order of `MeasureOptions.stores.names`. */
  readonly storeCpuUsPerRequest: readonly number[];
}

const RESET_INTERVAL_MS = 100;
const RSS_SAMPLE_MS = 200;

/** Runs every target once per round, in order, and folds the rounds together. */
export async function measureAll(
  targets: readonly Target[],
  options: MeasureOptions,
): Promise<Measurement[]> {
  const runs = new Map<Target, Run[]>(targets.map((target) => [target, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      options.log(`round ${round}/${options.rounds}: ${target.label}`);
      const run = await measureOnce(target, round, options);
      runs.get(target)?.push(run);
      options.log(
        `  ${run.requestsPerSecond.toFixed(0)} req/s, ${run.done} requests, ${run.failed} failed`,
      );
    }
  }
  return targets.map((target) => fold(target, runs.get(target) ?? []));
}

type Run = Awaited<ReturnType<typeof measureOnce>>;

/** Heap-sampled windows so far, by process name: the heap sampler numbers its files alike. */
const heapWindows = new Map<string, number>();

async function measureOnce(target: Target, round: number, options: MeasureOptions) {
  const before = target.rpc ? await rpcCodes(target.rpc) : undefined;
  const pids = target.processes.map((child) => child.pid);
  let cpuStart: number[] = [];
  let cpuEnd: number[] = [];
  let traceStart: number[] = [];
  let traceEnd: number[] = [];
  const { stores } = options;
  let storesStart: StoreSample | undefined;
  let storesEnd: StoreSample | undefined;
  const windows: number[] = [];
  const sampled = target.processes.filter((child) => options.heapSampled?.has(child.name));
  const timer = target.reset
    ? setInterval(() => void target.reset?.(), RESET_INTERVAL_MS)
    : undefined;
  const sampler = setInterval(() => {
    for (const child of target.processes) {
      const mb = rssMb(child.pid);
      if (!(mb <= (options.rssUnderLoad.get(child.name) ?? 0))) {
        options.rssUnderLoad.set(child.name, mb);
      }
    }
    void stores?.refresh().catch(() => {});
  }, RSS_SAMPLE_MS);
  try {
    await stores?.refresh();
    await target.reset?.();
    const result = await target.load(
      {
        warmUpSeconds: options.warmUpSeconds,
        durationSeconds: options.durationSeconds,
        logFile: join(options.runDir, `${target.key}.${round}.tsv`),
      },
      (phase, loadPid) => {
        const sample = [...pids, loadPid].map(cpuMs);
        const offsets = traceOffsets(target.processes);
        if (phase === "start") [cpuStart, traceStart] = [sample, offsets];
        else [cpuEnd, traceEnd] = [sample, offsets];
        if (phase === "start") storesStart = stores?.sample();
        else storesEnd = stores?.sample();
        windows.push(performance.now());
        for (const child of sampled) process.kill(child.pid, "SIGUSR2");
      },
    );
    options.log(`  measured window (s since start): ${windowText(target, windows)}`);
    for (const child of sampled) {
      const window = (heapWindows.get(child.name) ?? 0) + 1;
      heapWindows.set(child.name, window);
      options.log(`  heap profile: ${join(options.runDir, `${child.name}.${window}.heapprofile`)}`);
    }
    const after = target.rpc ? await rpcCodes(target.rpc) : undefined;
    const rpcFailed = before && after ? failures(before, after) : 0;
    const cpuUs = cpuEnd.map((end, i) => ((end - (cpuStart[i] ?? end)) * 1000) / result.done);
    const storeUs =
      stores && storesStart && storesEnd
        ? stores.perRequest(storesStart, storesEnd, result.done)
        : [];
    const gc = gcPerRequest(target.processes, traceStart, traceEnd, result.done);
    return { ...result, failed: result.failed + rpcFailed, cpuUs, storeUs, gc };
  } finally {
    clearInterval(timer);
    clearInterval(sampler);
    await target.reset?.();
  }
}

function windowText(target: Target, [from = 0, to = 0]: number[]): string {
  const seconds = (at: number, since: number) => ((at - since) / 1000).toFixed(1);
  return target.processes
    .map(
      (child) => `${child.name} ${seconds(from, child.startedAt)}–${seconds(to, child.startedAt)}`,
    )
    .join(", ");
}

function fold(target: Target, runs: readonly Run[]): Measurement {
  const latencies = runs.flatMap((run) => run.latenciesUs).sort((a, b) => a - b);
  const median = (values: number[]) =>
    quantile(
      [...values].sort((a, b) => a - b),
      0.5,
    );
  const cpu = (index: number) => median(runs.map((run) => run.cpuUs[index] ?? Number.NaN));
  return {
    target,
    requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
    p50Ms: quantile(latencies, 0.5) / 1000,
    p99Ms: quantile(latencies, 0.99) / 1000,
    requests: latencies.length,
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
    note: runs.find((run) => run.note !== undefined)?.note,
    cpuUsPerRequest: target.processes.map((_, index) => cpu(index)),
    gcPerRequest: target.processes.map((_, index) => ({
      allocatedKb: median(runs.map((run) => run.gc[index]?.allocatedKb ?? Number.NaN)),
      pauseUs: median(runs.map((run) => run.gc[index]?.pauseUs ?? Number.NaN)),
      promotedKb: median(runs.map((run) => run.gc[index]?.promotedKb ?? Number.NaN)),
    })),
    loadCpuUsPerRequest: cpu(target.processes.length),
    storeCpuUsPerRequest: (runs[0]?.storeUs ?? []).map((_, index) =>
      median(runs.map((run) => run.storeUs[index] ?? Number.NaN)),
    ),
  };
}

type RpcCounts = Map<string, number>;

/** The server's `shop_rpc_requests_total` for one RPC, by code (warm-up calls included). */
async function rpcCodes(rpc: NonNullable<Target["rpc"]>): Promise<RpcCounts> {
  const text = await (await fetch(`${rpc.server.url}/metrics`)).text();
  const counts: RpcCounts = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith("shop_rpc_requests_total{")) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name, value]),
    );
    if (labels.service !== rpc.service || labels.method !== rpc.method) continue;
    counts.set(labels.code ?? "", Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return counts;
}

function failures(before: RpcCounts, after: RpcCounts): number {
  let failed = 0;
  for (const [code, count] of after) if (code !== "ok") failed += count - (before.get(code) ?? 0);
  return failed;
}
