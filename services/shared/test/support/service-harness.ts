import { pino } from "pino";
import type { Verifier } from "#shared/auth/verifier";
import { createMetrics, type Metrics } from "#shared/metrics";
import {
  type ServiceBinding,
  type ServiceServer,
  startServiceServer,
} from "#shared/server/service-server";
import { testVerifier } from "./auth.js";

/**
 * Starts a service's bindings on a free loopback port, exactly as main.ts would serve them, for
 * component and interop tests. Logs are silent; metrics are real, and `app.metrics` when given
 * (to share them with a consumer, as main.ts does). Tokens are checked as in production, with
 * the test secrets: clients attach a caller with `asUser`, `asAdmin` or `asService` (./auth.ts).
 */
export async function startTestServer(app: {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
  metrics?: Metrics;
  unaryGrpcFastPath?: boolean;
  verifier?: Verifier;
}): Promise<ServiceServer & { baseUrl: string }> {
  const server = await startServiceServer({
    name: "test",
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    verifier: testVerifier,
    ...app,
    metrics: app.metrics ?? createMetrics(),
  });
  return { ...server, close: server.close, baseUrl: `http://127.0.0.1:${server.port}` };
}
