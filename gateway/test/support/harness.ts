import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { createRouterTransport } from "@connectrpc/connect";
import { pino } from "pino";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { services } from "#services";
import { createMetrics } from "#shared/metrics";
import { testGatewayVerifier, userToken } from "#shared-test/auth";
import { createGateway, type GatewayOptions } from "../../src/app.js";
import { answerClientError } from "../../src/client-error.js";
import type { DevSignIn } from "../../src/dev-sign-in.js";
import type { RateLimiter } from "../../src/rate-limit.js";
import type { UpstreamName } from "../../src/services.js";
import type { StaticFiles } from "../../src/static-files.js";
import { createTransportUpstream, type Upstream } from "../../src/upstream.js";
import { type Call, fakeBasketService, fakeProductService } from "./fakes.js";

/** A gateway on an ephemeral port in front of in-memory fakes. */
export interface TestGateway {
  readonly port: number;
  readonly calls: Call[];
  close(): Promise<void>;
}

/** A response as plain data. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/**
 * Starts a gateway whose upstreams (one per listed service) all reach the in-memory fakes below,
 * unless `upstreams` replaces some of them. A new service's routes answer Unimplemented here until
 * its fake joins the router.
 */
export async function startGateway(
  setup: {
    upstreams?: Partial<Record<UpstreamName, Upstream>>;
    options?: Partial<GatewayOptions>;
    rateLimiter?: RateLimiter;
    web?: StaticFiles;
    devSignIn?: DevSignIn;
  } = {},
): Promise<TestGateway> {
  const calls: Call[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ProductService, fakeProductService(calls));
    service(BasketService, fakeBasketService(calls));
  });
  const fake = createTransportUpstream(transport, { timeoutMs: 5000 });
  const gateway = createGateway({
    upstreams: {
      ...(Object.fromEntries(services.map(({ name }) => [name, fake])) as Record<
        UpstreamName,
        Upstream
      >),
      ...setup.upstreams,
    },
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    rateLimiter: setup.rateLimiter,
    verifier: testGatewayVerifier,
    options: setup.options,
    web: setup.web,
    devSignIn: setup.devSignIn,
  });
  const server = createServer(gateway);
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A signed-in test user's `authorization`, which `send` adds unless `headers` name another: the
 * fakes behind this gateway check no rights, and the gateway only that the token is valid.
 */
export const SIGNED_IN = { authorization: `Bearer ${await userToken("tester")}` };

/** Headers that make `send` anonymous (no `authorization` at all). */
export const ANONYMOUS = { authorization: "" };

/**
 * Sends one request with the path exactly as given (no URL normalisation) and reads the reply,
 * as the signed-in test user unless `headers` carry their own `authorization` (`ANONYMOUS`: none).
 */
export function send(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = body === undefined
    ? {}
    : { "content-type": "application/json" },
  localAddress?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string> = { ...SIGNED_IN, ...headers };
    if (all.authorization === "") delete all.authorization;
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path, headers: all, agent: false, localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
