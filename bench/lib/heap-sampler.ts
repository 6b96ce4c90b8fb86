/**
 * Loaded with `node --import` into the processes `npm run bench -- --heap-sample name,…` names
 * (HEAP_SAMPLE_PREFIX set): V8's sampling heap profiler over each row's measured window. The
 * bench sends SIGUSR2 as a window starts and again as it ends; the second writes
 * `<prefix>.<n>.heapprofile`, n counting that process's windows from 1. Objects the GC has
 * collected since count too (V8 keeps only the live ones unless told), so the profile says where
 * the bytes of the allocation columns were allocated, not only what outlived the window.
 * Chrome DevTools' Memory tab opens the file; `profile-top` sums it by function or package.
 */
import { renameSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";

/** One sample per this many bytes allocated, on average (V8's default is 32 KiB). */
const SAMPLING_INTERVAL_BYTES = 4096;

const prefix = process.env.HEAP_SAMPLE_PREFIX;
if (prefix) {
  const session = new Session();
  session.connect();
  let sampling = false;
  let windows = 0;
  const fail = (error: Error | null) => {
    if (error) process.stderr.write(`heap sampler: ${error.message}\n`);
  };
  process.on("SIGUSR2", () => {
    if (!sampling) {
      sampling = true;
      session.post(
        "HeapProfiler.startSampling",
        {
          samplingInterval: SAMPLING_INTERVAL_BYTES,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        },
        fail,
      );
      return;
    }
    sampling = false;
    windows++;
    const file = `${prefix}.${windows}.heapprofile`;
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (error) return fail(error);
      // Whole or not at all: whoever waits for the file never reads half of it.
      writeFileSync(`${file}.partial`, JSON.stringify(result.profile));
      renameSync(`${file}.partial`, file);
    });
  });
}
