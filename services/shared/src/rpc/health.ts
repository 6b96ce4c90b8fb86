import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as Status } from "#gen/health/v1/health_pb";

/**
 * The standard gRPC health service. The server as a whole ("") and each named service are
 * SERVING while `isReady()` holds, NOT_SERVING otherwise; an unknown name is NotFound for Check
 * and SERVICE_UNKNOWN for Watch, as grpc.health.v1 prescribes. Watch re-checks readiness every
 * `watchIntervalMs` for a change to report.
 */
export function createHealthService(
  serviceNames: readonly string[],
  isReady: () => Promise<boolean>,
  watchIntervalMs = 1000,
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
        // The timer's abort listener goes with the timer; an abort ends the loop.
        await sleep(watchIntervalMs, undefined, { signal: ctx.signal }).catch(() => {});
      }
    },
  };
}
