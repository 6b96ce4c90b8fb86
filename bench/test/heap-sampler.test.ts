import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createProcessGroup } from "../../scripts/process-group.js";
import { waitForOutput } from "./support/child-output.js";

const SAMPLER = fileURLToPath(new URL("../lib/heap-sampler.ts", import.meta.url));
const PROFILE_TOP = fileURLToPath(new URL("../profile-top.ts", import.meta.url));

// A process that allocates 8 MiB before the first SIGUSR2 and 16 MiB on it, in a function of its
// own; each array is one 8 KiB heap object, collected soon after (only 8 are ever kept). The
// sampler's listener was added first (by --import), so sampling has started when this one runs.
const ALLOCATOR = `
const kept = [];
function allocateArrays(mib) {
  for (let i = 0; i < mib * 128; i++) kept[i % 8] = new Array(1024);
}
allocateArrays(8);
let signals = 0;
process.on("SIGUSR2", () => {
  if (++signals > 1) return;
  allocateArrays(16);
  process.stdout.write("allocated\\n");
});
process.stdout.write("ready\\n");
setInterval(() => {}, 1000);
`;

describe("the heap sampler and profile-top", () => {
  const dir = mkdtempSync(join(tmpdir(), "heap-sampler-"));
  const script = join(dir, "allocator.mjs");
  writeFileSync(script, ALLOCATOR);
  const group = createProcessGroup(dir);
  afterAll(() => group.stopAll(2000));

  it("profiles what was allocated between two signals, collected objects included", async () => {
    const prefix = join(dir, "allocator");
    const child = group.start("allocator", script, { HEAP_SAMPLE_PREFIX: prefix }, [
      `--import=${SAMPLER}`,
    ]);
    await waitForOutput(child, "ready\n");
    child.process.kill("SIGUSR2");
    await waitForOutput(child, "allocated\n");
    child.process.kill("SIGUSR2");
    const file = `${prefix}.1.heapprofile`;
    while (!existsSync(file)) await delay(20);

    // 16 MiB over 1024 "requests" is 16 KiB each; the 8 MiB of the start is not in the window.
    const output = execFileSync(process.execPath, [PROFILE_TOP, file, "--requests", "1024"], {
      encoding: "utf8",
    });
    const row = output.split("\n").find((line) => line.includes("allocateArrays"));
    expect(row, output).toBeDefined();
    const [kib, share, perRequest] = (row as string).trim().split(/\s+/);
    // A sampling profile estimates: one sample per 4 KiB on average.
    expect(Number(kib)).toBeGreaterThan(16 * 1024 * 0.8);
    expect(Number(kib)).toBeLessThan(16 * 1024 * 1.2);
    expect(Number.parseFloat(share as string)).toBeGreaterThan(90);
    // 1024 requests: a KiB of the whole is a byte of each.
    expect(Math.abs(Number(perRequest) - Number(kib))).toBeLessThanOrEqual(1);
    expect(readFileSync(file, "utf8")).toContain('"head"');
  });
});
