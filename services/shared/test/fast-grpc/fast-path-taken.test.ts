/**
 * The fast paths must be the roads actually taken: every other test would still pass if all
 * calls went through connect-node. connect-node's server handler and gRPC transport are wrapped
 * here (in this file only, so production pays nothing) to count what reaches them.
 */

import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GetProductResponseSchema, ProductService } from "#gen/shop/product/v1/product_pb";
import type { BinaryEncoder } from "#shared/fast-grpc/binary-encoder";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { bindService, type ServiceServer, startServiceServer } from "#shared/server/service-server";
import { testVerifier } from "#shared-test/auth";
import { frame, GRPC, request, send } from "./support/twin-servers.js";

/**
 * Requests and unary calls that reached connect-node since the last reset, and the HTTP/2
 * requests node made compatibility requests and responses of (`h2Requests`).
 */
const reached = vi.hoisted(() => ({ handler: 0, replay: 0, transport: 0, h2Requests: 0 }));

vi.mock("#shared/server/one-port", async (importOriginal) => {
  const onePort = await importOriginal<typeof import("#shared/server/one-port")>();
  return {
    ...onePort,
    createOnePortServer(...[handler, streams]: Parameters<typeof onePort.createOnePortServer>) {
      return onePort.createOnePortServer((req, res) => {
        if ("stream" in req) reached.h2Requests++;
        handler(req, res);
      }, streams);
    },
  };
});

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

/**
 * A GetProductResponse encoder whose bytes tell themselves apart: product 7 comes out named
 * "encoded", or "in place" when written after room for an envelope header; any other product it
 * leaves to toBinary.
 */
const marking: BinaryEncoder<typeof GetProductResponseSchema> = {
  schema: GetProductResponseSchema,
  encode: (message, headroom) => marked(message, headroom === 0 ? "encoded" : "in place", headroom),
};

function marked(message: { product?: { id: bigint } | undefined }, name: string, room: number) {
  if (message.product?.id !== 7n) return undefined;
  const bytes = toBinary(
    GetProductResponseSchema,
    create(GetProductResponseSchema, { product: { id: 7n, name } }),
  );
  const frame = new Uint8Array(room + bytes.length);
  frame.set(bytes, room);
  return frame;
}

function products() {
  const unused = () => {
    throw new Error("not used");
  };
  const impl = {
    getProduct: (req: { id: bigint }) => ({ product: { id: req.id, name: "p" } }),
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  };
  return bindService(ProductService, impl, [marking]);
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
    Object.assign(reached, { handler: 0, replay: 0, transport: 0, h2Requests: 0 });
  });
  afterEach(async () => {
    running.transport.close();
    await running.server.close(100);
  });

  it("serve a unary gRPC call from node's HTTP/2 stream, and send it, without connect-node's handler, transport or node's compatibility request", async () => {
    running = await start({ server: true, client: true });
    for (let i = 0; i < 3; i++) expect((await getProduct()).product?.id).toBe(7n);
    expect(reached).toEqual({ handler: 0, replay: 0, transport: 0, h2Requests: 0 });
  });

  it("hand a gRPC body they read and cannot serve to connect's router, not back to node's request handler", async () => {
    running = await start({ server: true, client: true });
    const twoMessages = Buffer.concat([frame(request(7n)), frame(request(7n))]);
    const answer = await send(`http://127.0.0.1:${running.server.port}`, GRPC, twoMessages);
    expect(answer.trailers["grpc-status"]).toBe(String(Code.Unimplemented));
    expect(reached).toEqual({ handler: 0, replay: 1, transport: 0, h2Requests: 0 });
  });

  it("leave the server's calls to connect-node's handler when switched off", async () => {
    running = await start({ server: false, client: true });
    expect((await getProduct()).product?.id).toBe(7n);
    expect(reached).toEqual({ handler: 1, replay: 0, transport: 0, h2Requests: 1 });
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

  it("write a response with its binding's binary encoder on the binary short paths only", async () => {
    running = await start({ server: true, client: true });
    expect((await getProduct()).product?.name).toBe("in place");
    expect((await getOverConnect(true)).product?.name).toBe("encoded");
    expect((await getOverConnect(false)).product?.name).toBe("p");
    const other = await createClient(ProductService, running.transport).getProduct({ id: 8n });
    expect(other.product).toMatchObject({ id: 8n, name: "p" });
  });

  it("leave every response to toBinary when switched off", async () => {
    running = await start({ server: false, client: true });
    expect((await getProduct()).product?.name).toBe("p");
    expect((await getOverConnect(true)).product?.name).toBe("p");
  });

  it("leave the client's calls to connect-node's transport when switched off", async () => {
    running = await start({ server: true, client: false });
    expect((await getProduct()).product?.id).toBe(7n);
    expect(reached).toEqual({ handler: 0, replay: 0, transport: 1, h2Requests: 0 });
  });
});
