import { createServer, type Server } from "node:http";
import { type ServiceName, services, serviceUrlVariable } from "#services";
import { loadConfig } from "#shared/config";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { resilienceSettings } from "#shared/rpc/resilience-config";
import { createGateway } from "./app.js";
import { answerClientError } from "./client-error.js";
import { gatewayConfig } from "./config.js";
import { createGrpcUpstream, type GrpcUpstream } from "./upstream.js";

const config = loadConfig(gatewayConfig);
const logger = createLogger("gateway", config.LOG_LEVEL);
const metrics = createMetrics();
const resilience = resilienceSettings(config);
const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
const unaryGrpcFastPath = config.GRPC_FAST_PATH;
const upstreamUrls = Object.fromEntries(
  services.map(({ name }) => [name, config[serviceUrlVariable(name)]]),
) as Record<ServiceName, string[]>;
const upstreams = Object.fromEntries(
  services.map(({ name }) => [
    name,
    createGrpcUpstream(upstreamUrls[name], {
      timeoutMs,
      unaryGrpcFastPath,
      name: `${name} service`,
      service: name,
      resilience,
      metrics,
    }),
  ]),
) as Record<ServiceName, GrpcUpstream>;
const gateway = createGateway({
  upstreams,
  logger,
  metrics,
  options: { maxBodyBytes: config.MAX_BODY_BYTES },
});

const ports = [...new Set([config.PORT, ...config.EXTRA_PORTS])];
const servers = await Promise.all(ports.map((port) => listen(port))).catch((error: Error) => {
  logger.fatal(`cannot listen: ${error.message}`);
  process.exit(1);
});
logger.info(
  {
    host: config.HOST,
    ports,
    ...upstreamUrls,
  },
  "gateway listening",
);

function listen(port: number): Promise<Server> {
  // HTTP keep-alive is node's default; keepAlive here adds TCP keep-alive probes on idle sockets.
  const server = createServer({ keepAlive: true }, gateway);
  // Longer than typical load-balancer idle timeouts, so they close first and never hit a reset.
  server.keepAliveTimeout = 65_000;
  server.on("clientError", answerClientError);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, config.HOST, () => resolve(server));
  });
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "gateway stopping");
  // Past the grace period, cut the connections that still hold requests.
  const force = setTimeout(() => {
    for (const server of servers) server.closeAllConnections();
  }, config.SHUTDOWN_GRACE_MS);
  force.unref();
  await Promise.all(servers.map((server) => closeServer(server)));
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
  logger.info("gateway stopped");
  process.exit(0);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // close() also waits for keep-alive sockets that go idle after their in-flight request;
    // sweeping idle sockets lets the drain end as soon as the last request does.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
