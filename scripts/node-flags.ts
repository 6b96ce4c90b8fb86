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
