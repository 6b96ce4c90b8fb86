import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as Status } from "#gen/health/v1/health_pb";

/** How often Watch re-checks readiness for a change to report. */
const WATCH_INTERVAL_MS = 1000;

/**
 * The standard gRPC health service. The server as a whole ("") and each named service are
 * SERVING while `isReady()` holds, NOT_SERVING otherwise; an unknown name is NotFound for Check
 * and SERVICE_UNKNOWN for Watch, as grpc.health.v1 prescribes.
 */
export function createHealthService(
  serviceNames: readonly string[],
  isReady: () => Promise<boolean>,
): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const current = async () => ((await isReady()) ? Status.SERVING : Status.NOT_SERVING);
  return {
    async check(req) {
      if (!known.has(req.service)) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return { status: await current() };
    },
    async list() {
      const status = await current();
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) };
    },
    async *watch(req, ctx) {
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const status = known.has(req.service) ? await current() : Status.SERVICE_UNKNOWN;
        if (status !== last) yield { status };
        last = status;
        await sleep(WATCH_INTERVAL_MS, ctx.signal);
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
