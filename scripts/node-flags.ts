/**
 * V8 flags every service process runs with: `npm start` and the bench pass them on the command
 * line, the Dockerfile sets the same in NODE_OPTIONS. On a machine with a lot of memory V8 sizes
 * the young generation for throughput, which costs ~100 MB of RSS per process; 4 MB semi-spaces
 * keep each service well under 150 MB under load, for a few percent more time in scavenges.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];
