import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { inBatches, startPeriodic } from "../src/periodic.js";

const logger = pino({ level: "silent" });

/** A job whose runs the test ends one by one. */
function scriptedJob() {
  const runs: PromiseWithResolvers<number>[] = [];
  return {
    runs,
    job: () => {
      const run = Promise.withResolvers<number>();
      runs.push(run);
      return run.promise;
    },
  };
}

describe("a periodic job", () => {
  it("shares a run in progress with a caller who asks for one meanwhile", async () => {
    const { runs, job } = scriptedJob();
    const periodic = startPeriodic({ job, intervalMs: 3_600_000, logger, failure: "failed" });
    const run = periodic.run();
    expect(periodic.run()).toBe(run);
    runs[0]?.resolve(3);
    expect(await run).toBe(3);
    expect(runs.length).toBe(1);
    await periodic.stop();
  });

  it("keeps running on its timer after a failed run", async () => {
    const { runs, job } = scriptedJob();
    const periodic = startPeriodic({ job, intervalMs: 10, logger, failure: "failed" });
    await vi.waitFor(() => expect(runs.length).toBe(1));
    runs[0]?.reject(new Error("database unreachable"));
    await vi.waitFor(() => expect(runs.length).toBe(2));
    runs[1]?.resolve(0);
    await periodic.stop();
  });

  it("stops only once the run in progress has finished, and starts no other", async () => {
    const { runs, job } = scriptedJob();
    const periodic = startPeriodic({ job, intervalMs: 10, logger, failure: "failed" });
    await vi.waitFor(() => expect(runs.length).toBe(1));
    let stopped = false;
    const stopping = periodic.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    runs[0]?.resolve(0);
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs.length).toBe(1);
  });
});

describe("working in batches", () => {
  it("repeats until a batch comes back short, and sums what the batches did", async () => {
    const answers = [5, 5, 2, 5];
    const batch = vi.fn(async (size: number) => Math.min(size, answers.shift() ?? 0));
    expect(await inBatches(batch, 5, () => false)).toBe(12);
    expect(batch).toHaveBeenCalledTimes(3);
  });

  it("stops after the batch in progress once stopped", async () => {
    let stopped = false;
    const batch = vi.fn(async (size: number) => {
      stopped = true;
      return size;
    });
    expect(await inBatches(batch, 5, () => stopped)).toBe(5);
    expect(batch).toHaveBeenCalledTimes(1);
  });
});
