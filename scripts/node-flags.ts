/**
 * V8 flags every service process runs with: `npm start` and the bench pass them on the command
 * line, the Dockerfile sets the same in NODE_OPTIONS. On a machine with a lot of memory V8 sizes
 * both heap generations for throughput, and a service under load sat at 190–230 MB of RSS.
 * 4 MB semi-spaces and a 128 MB old generation (the services hold well under 50 MB of live data)
 * keep each one near 130 MB under load, for roughly 10–15 % more CPU spent in garbage collection.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=4",
  "--max-old-space-size=128",
];

/**
 * Environment every service process runs with (`npm start`, the bench; the Dockerfile sets the
 * same), unless `env` (this process's) already sets it. MALLOC_ARENA_MAX=2: glibc gives a thread
 * that finds the main arena busy an arena of its own, up to 8 per core, and V8's GC helpers and
 * libuv's pool threads allocate too; each arena keeps the memory freed into it. Over the bench's
 * three rounds the product service's RSS crept to 149–154 MB (issue 11's bound is 150) with the
 * default, and to 139 MB with two arenas; its CPU per request moved less than the machine's noise.
 */
export function serviceProcessEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? "2" };
}
