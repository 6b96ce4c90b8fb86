import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProcessGroup } from "../../scripts/process-group.js";
import { GC_TRACE_FLAGS, gcPerRequest, sumGcTrace, traceOffsets } from "../lib/gc-trace.js";
import { waitForOutput } from "./support/child-output.js";

// Two lines as node 24's --trace-gc-nvp prints them, shortened to the fields around the ones
// read, with names that contain the read ones (incremental.steps_took, allocation_throughput).
const SCAVENGE =
  "[1:0x1:0]       35 ms: pause=1.2 mutator=32.4 gc=s reduce_memory=0 incremental.steps_count=0 " +
  "incremental.steps_took=3.0 start_object_size=100 allocated=4000 promoted=700 " +
  "new_space_allocation_throughput=5745.9 allocation_throughput=26173.4";
const MARK_COMPACT =
  "[1:0x1:0]      604 ms: pause=18.6 mutator=1.0 gc=mc reduce_memory=0 " +
  "mark.finish_incremental=0.5 incremental=2.5 incremental.finalize.external.prologue=0.0 " +
  "incremental_longest_step=0.9 allocated=6000 promoted=0";

describe("sumGcTrace", () => {
  it("adds up every collection's allocation and promotion, and its pause plus a full one's incremental steps", () => {
    expect(sumGcTrace(`${SCAVENGE}\n${MARK_COMPACT}\n${SCAVENGE}\n`)).toEqual({
      allocatedBytes: 14_000,
      pauseMs: 1.2 + 18.6 + 2.5 + 1.2,
      promotedBytes: 1400,
      collections: 3,
    });
  });

  it("ignores log lines and the pieces of a line cut at either end of the stretch", () => {
    const text = [
      SCAVENGE.slice(SCAVENGE.indexOf("allocated=")),
      '{"level":30,"msg":"pause=3 gc=s allocated=5"}',
      MARK_COMPACT,
      SCAVENGE.slice(0, SCAVENGE.indexOf("allocated=")),
    ].join("\n");
    expect(sumGcTrace(text)).toEqual({
      allocatedBytes: 6000,
      pauseMs: 18.6 + 2.5,
      promotedBytes: 0,
      collections: 1,
    });
  });

  it("finds nothing in a stretch without collections", () => {
    expect(sumGcTrace('{"level":30,"msg":"request"}\n')).toEqual({
      allocatedBytes: 0,
      pauseMs: 0,
      promotedBytes: 0,
      collections: 0,
    });
  });
});

// A process that allocates 64 MiB as it starts, then 16 MiB more on SIGUSR2, each followed by
// a full collection, so that each allocation shows up in the trace before the marker line.
// new Array(1024) is one heap object of 8 KiB of slots (plus 48 bytes of headers); a few are
// kept so that no compiler can leave one out.
const ALLOCATOR = `
const kept = [];
const allocate = (mib) => {
  for (let i = 0; i < mib * 128; i++) kept[i % 8] = new Array(1024);
  globalThis.gc();
};
allocate(64);
process.stdout.write("ready\\n");
process.on("SIGUSR2", () => {
  allocate(16);
  process.stdout.write("allocated\\n");
});
setInterval(() => {}, 1000);
`;

describe("gcPerRequest", () => {
  const dir = mkdtempSync(join(tmpdir(), "gc-trace-"));
  const script = join(dir, "allocator.mjs");
  writeFileSync(script, ALLOCATOR);
  const group = createProcessGroup(dir);
  afterAll(() => group.stopAll(2000));

  const startAllocator = async (name: string, flags: readonly string[]) => {
    const child = group.start(name, script, {}, [...flags, "--expose-gc"]);
    await waitForOutput(child, "ready\n");
    return child;
  };

  it("counts only what a process allocated between the two samples", async () => {
    const child = await startAllocator("traced", GC_TRACE_FLAGS);
    const from = traceOffsets([child]);
    child.process.kill("SIGUSR2");
    await waitForOutput(child, "allocated\n");
    const to = traceOffsets([child]);

    // 16 MiB over 1024 "requests": 16 KB each, plus the arrays' headers and the ends of heap
    // pages no 8 KiB array fitted in (~4 % here); the 64 MiB of the start would make it 80.
    const [window] = gcPerRequest([child], from, to, 1024);
    expect(window?.allocatedKb).toBeGreaterThan(16);
    expect(window?.allocatedKb).toBeLessThan(16 * 1.1);
    expect(window?.pauseUs).toBeGreaterThan(0);
  });

  it("has no numbers for a process without a trace", async () => {
    const child = await startAllocator("untraced", []);
    const [window] = gcPerRequest([child], [0], traceOffsets([child]), 1);
    expect(window?.allocatedKb).toBeNaN();
    expect(window?.pauseUs).toBeNaN();
    expect(window?.promotedKb).toBeNaN();
  });
});
