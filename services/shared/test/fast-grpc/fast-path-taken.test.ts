/**
 * The fast paths must be the roads actually taken: every other test would still pass if all
 * calls went through connect-node. connect-node's server handler and gRPC transport are wrapped
 * here (in this file only, so production pays nothing) to count what reaches them.
 */
import type { Transport } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { bindService, type ServiceServer, startServiceServer } from "#shared/server/service-server";
import { testVerifier } from "#shared-test/auth";

/** Requests and unary calls that reached connect-node since the last reset. */
const reached = vi.hoisted(() => ({ handler: 0, replay: 0, transport: 0 }));

vi.mock("@connectrpc/connect-node", async (importOriginal) => {
  const node = await importOriginal<typeof import("@connectrpc/connect-node")>();
  return {
    ...node,
    connectNodeAdapter(...args: Parameters<typeof node.connectNodeAdapter>) {
      const handler = node.connectNodeAdapter(...args);
      return (...call: Parameters<typeof handler>) => {
        reached.handler++;
        handler(...call);
      };
    },
    // What connect-replay.ts hands a request to connect's router with.
    universalRequestFromNodeRequest(
      ...args: Parameters<typeof node.universalRequestFromNodeRequest>
    ) {
      reached.replay++;
      return node.universalRequestFromNodeRequest(...args);
    },
    createGrpcTransport(...args: Parameters<typeof node.createGrpcTransport>): Transport {
      const transport = node.createGrpcTransport(...args);
      return {
        unary(...call) {
          reached.transport++;
          return transport.unary(...call);
        },
        stream: (...call) => transport.stream(...call),
      };
    },
  };
});

function products() {
  const unused = () => {
    throw new Error("not used");
  };
  return bindService(ProductService, {
    getProduct: (req) => ({ product: { id: req.id, name: "p" } }),
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

/** A server and a service transport to it, each with the fast path on or off. */
async function start(fast: { server: boolean; client: boolean }) {
  const server = await startServiceServer({
    name: "test",
    host: "127.0.0.1",
    port: 0,
    services: [products()],
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    verifier: testVerifier,
    isReady: async () => true,
    unaryGrpcFastPath: fast.server,
  });
  const transport = createServiceTransport({
    urls: [`http://127.0.0.1:${server.port}`],
    timeoutMs: 5000,
    unaryGrpcFastPath: fast.client,
  });
  return { server, transport };
}

describe("the fast paths", () => {
  let running: { server: ServiceServer; transport: ReturnType<typeof createServiceTransport> };
  const getProduct = () => createClient(ProductService, running.transport).getProduct({ id: 7n });

  beforeEach(() => {
    Object.assign(reached, { handler: 0, replay: 0, transport: 0 });
  });
  afterEach(async () => {
    running.transport.close();
    await running.server.close(100);
  });

  it("serve and send a unary gRPC call without connect-node's handler or transport", async () => {
    running = await start({ server: true, client: true });
    for (let i = 0; i < 3; i++) expect((await getProduct()).product?.id).toBe(7n);
    expect(reached).toEqual({ handler: 0, replay: 0, transport: 0 });
  });

  it("leave the server's calls to connect-node's handler when switched off", async () => {
    running = await start({ server: false, client: true });
    expect((await getProduct()).product?.id).toBe(7n);
    expect(reached).toEqual({ handler: 1, replay: 0, transport: 0 });
  });

  /** GetProduct as connect-web in a browser sends it: the Connect protocol over HTTP/1.1. */
  const getOverConnect = (useBinaryFormat: boolean) =>
    createClient(
      ProductService,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${running.server.port}`,
        httpVersion: "1.1",
        useBinaryFormat,
      }),
    ).getProduct({ id: 7n });

  it("serve unary Connect calls over HTTP/1.1 without connect-node's handler", async () => {
    running = await start({ server: true, client: true });
    for (const binary of [false, true, false]) {
      expect((await getOverConnect(binary)).product?.id).toBe(7n);
    }
    expect(reached.handler).toBe(0);
    expect(reached.replay).toBe(0);
  });

  it("leave unary Connect calls to connect-node's handler when switched off", async () => {
    running = await start({ server: false, client: true });
    expect((await getOverConnect(false)).product?.id).toBe(7n);
    expect(reached.handler).toBe(1);
  });

  it("leave the client's calls to connect-node's transport when switched off", async () => {
    running = await start({ server: true, client: false });
    expect((await getProduct()).product?.id).toBe(7n);
    expect(reached).toEqual({ handler: 0, replay: 0, transport: 1 });
  });
});
