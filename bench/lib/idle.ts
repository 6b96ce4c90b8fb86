import { setTimeout as delay } from "node:timers/promises";
import { cpuMs } from "./proc-stats.js";
import type { StoreCpu } from "./store-cpu.js";

/** A started process the idle line reports on. */
export interface IdleProcess {
  readonly name: string;
  readonly pid: number;
}

/**
 * CPU each process and store spends while nothing loads them (pollers, fetch loops, timers):
 * waits `settleSeconds` for the last row's events to drain, then samples over `seconds`. Returns
 * one line, in CPU milliseconds per second (10 = 1 % of a core).
 */
export async function measureIdle(
  processes: readonly IdleProcess[],
  stores: StoreCpu,
  options: { seconds: number; settleSeconds: number },
): Promise<string> {
  await delay(options.settleSeconds * 1000);
  await stores.refresh();
  const before = processes.map(({ pid }) => cpuMs(pid));
  const storesBefore = stores.sample();
  const began = performance.now();
  await delay(options.seconds * 1000);
  const after = processes.map(({ pid }) => cpuMs(pid));
  const storesAfter = stores.sample();
  const seconds = (performance.now() - began) / 1000;
  const perSecond = (ms: number) => (ms / seconds).toFixed(1);
  const servers = processes.map(
    ({ name }, i) => `${name} ${perSecond((after[i] ?? Number.NaN) - (before[i] ?? Number.NaN))}`,
  );
  // perRequest with one "request" per second gives µs per second.
  const storeUs = stores.perRequest(storesBefore, storesAfter, seconds);
  const storeLines = stores.names.map(
    (name, i) => `${name} ${perSecond((storeUs[i] ?? 0) / 1000)}`,
  );
  return (
    `Idle CPU over ${seconds.toFixed(0)} s, ms per second (10 = 1 % of a core): ` +
    `${[...servers, ...storeLines].join(", ")}\n`
  );
}
