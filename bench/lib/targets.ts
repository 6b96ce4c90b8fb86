import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AddItemRequestSchema, BasketService } from "#gen/shop/basket/v1/basket_pb";
import {
  GetProductRequestSchema,
  ListProductsRequestSchema,
  ProductService,
} from "#gen/shop/product/v1/product_pb";
import { mintDevToken } from "../../scripts/dev-auth.js";
import type { Child } from "../../scripts/process-group.js";
import { checkoutTargets } from "./checkout-targets.js";
import { grpcFrame } from "./fixture.js";
import { h2load } from "./h2load.js";
import { listPagesTarget } from "./list-pages.js";
import type { Load } from "./load.js";
import type { Server, Servers } from "./servers.js";

/** One row of the table: a load and the processes that serve it (front first). */
export interface Target {
  readonly key: string;
  readonly label: string;
  readonly load: Load;
  readonly processes: readonly Child[];
  /**
   * gRPC answers failures with HTTP 200 and a grpc-status trailer that h2load never reads, so
   * failures of gRPC rows are counted from the server's own per-code RPC metric instead.
   */
  readonly rpc?: { readonly server: Server; readonly service: string; readonly method: string };
  /** Called every RESET_INTERVAL_MS while the row runs (keeps the AddItem basket under its cap). */
  readonly reset?: () => Promise<void>;
  /** The key of the row this one is held against besides the floor (its "÷ peer" column). */
  readonly peer?: string;
}

export interface TargetOptions {
  readonly runDir: string;
  readonly productId: bigint;
  /** Concurrent requests of every row. */
  readonly concurrency: number;
  /** The basket every AddItem row adds to; the checkout rows' user ids start with it. */
  readonly userId: string;
  /** The products every checkout buys, one basket line each. */
  readonly checkoutProductIds: readonly bigint[];
  /**
   * A bearer token the edge row sends (`--token`); none until the gateway authenticates. With
   * one, the row measures authentication and limiting together, and its limit is the user's.
   */
  readonly bearerToken?: string | undefined;
  readonly log: (line: string) => void;
}

const GRPC_HEADERS = ["content-type: application/grpc", "te: trailers"];
const JSON_HEADERS = ["content-type: application/json"];

/**
 * The rows this run can measure, each verified once with a real client before any load: a row
 * whose one request does not succeed stops the bench rather than measuring errors.
 */
export async function prepareTargets(servers: Servers, options: TargetOptions): Promise<Target[]> {
  const { productId: id, concurrency: c, runDir } = options;
  const { floor, gateway, gatewayEdge } = servers;
  const { product, basket } = servers.services;
  if (!product) throw new Error("the product service did not start: nothing to measure");
  const file = (name: string, bytes: Uint8Array) => {
    const path = join(runDir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const productService = ProductService.typeName;
  const getProductBody = file(
    "get-product.grpc",
    grpcFrame(toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id }))),
  );
  const rpcGet = { server: product, service: productService, method: "GetProduct" };

  await expectJsonId(`${floor.url}/products/${id}`, id);
  await expectGrpcProduct(product.url, id);
  const targets: Target[] = [
    {
      key: "floor",
      label: "floor: node:http + postgres.js, GET /products/{id}",
      load: h2load({ uri: `${floor.url}/products/${id}`, h1: true, clients: c, streams: 1 }),
      processes: [floor.child],
    },
    await chainTarget(servers, options),
  ];
  if (gateway) {
    await expectJsonId(`${gateway.url}/products/${id}`, id);
    targets.push({
      key: "rest-get",
      label: "REST GET /products/{id} via gateway",
      load: h2load({ uri: `${gateway.url}/products/${id}`, h1: true, clients: c, streams: 1 }),
      processes: [gateway.child, product.child],
      peer: "rest-get-chain",
    });
  }
  if (gatewayEdge) targets.push(await edgeGetTarget(gatewayEdge, product, options));
  await expectGrpcProduct(servers.grpcJsPeer.url, id);
  /** h2load's gRPC GetProduct load on `url`: 32 connections × 1 stream, or 1 × 32 (`mux`). */
  const grpcGet = (url: string, mux: boolean) =>
    h2load({
      uri: `${url}/${productService}/GetProduct`,
      h1: false,
      clients: mux ? 1 : c,
      streams: mux ? c : 1,
      headers: GRPC_HEADERS,
      bodyFile: getProductBody,
    });
  const peer = servers.grpcJsPeer;
  targets.push(
    {
      key: "grpc-js-peer",
      label: `grpc-js peer: @grpc/grpc-js + postgres.js (${c} conns × 1 stream)`,
      load: grpcGet(peer.url, false),
      processes: [peer.child],
    },
    {
      key: "grpc-get",
      label: `gRPC GetProduct direct (${c} conns × 1 stream)`,
      load: grpcGet(product.url, false),
      processes: [product.child],
      rpc: rpcGet,
      peer: "grpc-js-peer",
    },
    {
      key: "grpc-js-peer-mux",
      label: `grpc-js peer (1 conn × ${c} streams)`,
      load: grpcGet(peer.url, true),
      processes: [peer.child],
    },
    {
      key: "grpc-get-mux",
      label: `gRPC GetProduct direct (1 conn × ${c} streams)`,
      load: grpcGet(product.url, true),
      processes: [product.child],
      rpc: rpcGet,
      peer: "grpc-js-peer-mux",
    },
  );
  targets.push(await listTarget(product, options, file));
  targets.push(await listPagesTarget(product, c, file));
  targets.push(await connectJsonTarget(product, options, file));
  if (basket) targets.push(...(await addItemTargets(basket, gateway, product, options, file)));
  targets.push(
    ...(await checkoutTargets(servers, {
      productIds: options.checkoutProductIds,
      concurrency: c,
      userPrefix: options.userId,
      log: options.log,
    })),
  );
  return targets;
}

/**
 * `rest-get` through the gateway with its edge duties on: rate limiting (one Redis round trip
 * per request) and, given a token, authentication. Verified once, like every row: it must answer
 * the product with the RateLimit headers, so the row cannot silently measure limiting off.
 */
export async function edgeGetTarget(
  edge: Server,
  product: Server,
  options: Pick<TargetOptions, "productId" | "concurrency" | "bearerToken">,
): Promise<Target> {
  const { productId: id, concurrency: c, bearerToken } = options;
  const uri = `${edge.url}/products/${id}`;
  const auth = bearerToken ? { authorization: `Bearer ${bearerToken}` } : undefined;
  const res = await fetch(uri, { headers: auth });
  const body = (await res.json()) as { id?: unknown };
  if (!res.ok || String(body.id) !== String(id) || !res.headers.has("ratelimit-limit")) {
    throw new Error(
      `GET ${uri} answered ${res.status} (RateLimit-Limit: ${res.headers.get("ratelimit-limit")}), ` +
        `expected product ${id} with rate-limit headers`,
    );
  }
  const duties = bearerToken ? "token + limits on" : "limits on";
  return {
    key: "rest-get-edge",
    label: `REST GET /products/{id} via gateway, ${duties}`,
    load: h2load({
      uri,
      h1: true,
      clients: c,
      streams: 1,
      headers: auth ? [`authorization: ${auth.authorization}`] : [],
    }),
    processes: [edge.child, product.child],
    peer: "rest-get-chain",
  };
}

/**
 * `rest-get-chain`: the REST rows' peer (issue 11, goal 2), the bare two-hop chain loaded as
 * `rest-get` is, both its processes counted. Verified once: it must answer the floor's body.
 */
async function chainTarget(
  servers: Pick<Servers, "floor" | "chainFront" | "chainBack">,
  options: Pick<TargetOptions, "productId" | "concurrency">,
): Promise<Target> {
  const { productId: id, concurrency: c } = options;
  const uri = `${servers.chainFront.url}/products/${id}`;
  const [floorBody, chainBody] = await Promise.all(
    [`${servers.floor.url}/products/${id}`, uri].map(async (url) =>
      JSON.stringify(await expectStatus(url)),
    ),
  );
  if (chainBody !== floorBody) {
    throw new Error(`GET ${uri} answered ${chainBody}, the floor ${floorBody}`);
  }
  return {
    key: "rest-get-chain",
    label: "bare chain: node:http → node:http2 + postgres.js, GET /products/{id}",
    load: h2load({ uri, h1: true, clients: c, streams: 1 }),
    processes: [servers.chainFront.child, servers.chainBack.child],
  };
}

/** The bench's filtered, sorted list: one category, a price band, cheapest first, 50 a page. */
export const LIST_REQUEST = {
  category: "category-7",
  minPrice: "10.00",
  maxPrice: "50.00",
  sort: "price_asc",
  pageSize: 50,
} as const;

/**
 * `grpc-list`: ListProducts with a filter and a sort over gRPC direct (issue 11, goal 5: p99
 * under 20 ms at 32 concurrent clients with 1 M products; run with `--products 1000000`).
 * Verified once: the page must be full and in price order.
 */
async function listTarget(
  product: Server,
  options: TargetOptions,
  file: (name: string, bytes: Uint8Array) => string,
): Promise<Target> {
  const { concurrency: c } = options;
  const client = createClient(ProductService, createGrpcTransport({ baseUrl: product.url }));
  const { products } = await client.listProducts(LIST_REQUEST);
  const prices = products.map((item) => Number(item.price));
  if (
    products.length !== LIST_REQUEST.pageSize ||
    prices.some((p, i) => p < (prices[i - 1] ?? 0))
  ) {
    throw new Error(
      `ListProducts(${JSON.stringify(LIST_REQUEST)}) answered ${products.length} products, not a full page in price order`,
    );
  }
  const body = toBinary(ListProductsRequestSchema, create(ListProductsRequestSchema, LIST_REQUEST));
  return {
    key: "grpc-list",
    label: `gRPC ListProducts: category + price band, by price, 50/page (${c} conns)`,
    load: h2load({
      uri: `${product.url}/${ProductService.typeName}/ListProducts`,
      h1: false,
      clients: c,
      streams: 1,
      headers: GRPC_HEADERS,
      bodyFile: file("list-products.grpc", grpcFrame(body)),
    }),
    processes: [product.child],
    rpc: { server: product, service: ProductService.typeName, method: "ListProducts" },
  };
}

/**
 * `connect-json-h1`: GetProduct as connect-web in a browser sends it — a Connect unary POST of
 * JSON over HTTP/1.1 straight to the product service (issue 11, goal 3: ≥ 0.5× the floor).
 * Verified once with connect-es's Connect transport over HTTP/1.1, JSON format.
 */
async function connectJsonTarget(
  product: Server,
  options: TargetOptions,
  file: (name: string, bytes: Uint8Array) => string,
): Promise<Target> {
  const { productId: id, concurrency: c } = options;
  const transport = createConnectTransport({ baseUrl: product.url, httpVersion: "1.1" });
  const answer = await createClient(ProductService, transport).getProduct({ id });
  if (answer.product?.id !== id)
    throw new Error(`Connect GetProduct(${id}) answered ${answer.product?.id}`);
  return {
    key: "connect-json-h1",
    label: "Connect JSON GetProduct direct, HTTP/1.1",
    load: h2load({
      uri: `${product.url}/${ProductService.typeName}/GetProduct`,
      h1: true,
      clients: c,
      streams: 1,
      headers: [...JSON_HEADERS, "connect-protocol-version: 1"],
      bodyFile: file("get-product.json", Buffer.from(JSON.stringify({ id: String(id) }))),
    }),
    processes: [product.child],
    rpc: { server: product, service: ProductService.typeName, method: "GetProduct" },
  };
}

async function addItemTargets(
  basket: Server,
  gateway: Server | undefined,
  product: Server,
  options: TargetOptions,
  file: (name: string, bytes: Uint8Array) => string,
): Promise<Target[]> {
  const { productId, userId, concurrency: c } = options;
  // The basket's owner signs in (dev tokens, as `npm run token` makes them).
  const authorization = `Bearer ${await mintDevToken(userId)}`;
  const client = createClient(
    BasketService,
    createGrpcTransport({ baseUrl: basket.url, interceptors: [withHeader(authorization)] }),
  );
  const reset = async () => {
    try {
      await client.deleteBasket({ userId });
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.NotFound)) throw error;
    }
  };
  // Verify with a real client, then start every row from an empty basket.
  await client.addItem({ userId, productId, quantity: 1 });
  await reset();
  const grpcBody = file(
    "add-item.grpc",
    grpcFrame(
      toBinary(
        AddItemRequestSchema,
        create(AddItemRequestSchema, { userId, productId, quantity: 1 }),
      ),
    ),
  );
  const targets: Target[] = [];
  if (gateway) {
    const uri = `${gateway.url}/baskets/${encodeURIComponent(userId)}/items`;
    const json = JSON.stringify({ product_id: String(productId), quantity: 1 });
    await expectStatus(uri, {
      method: "POST",
      body: json,
      headers: { "content-type": "application/json", authorization },
    });
    await reset();
    targets.push({
      key: "rest-additem",
      label: "REST POST /baskets/{user_id}/items via gateway",
      load: h2load({
        uri,
        h1: true,
        clients: c,
        streams: 1,
        headers: [...JSON_HEADERS, `authorization: ${authorization}`],
        bodyFile: file("add-item.json", Buffer.from(json)),
      }),
      processes: [gateway.child, basket.child, product.child],
      reset,
    });
  }
  targets.push({
    key: "grpc-additem",
    label: `gRPC AddItem direct (${c} conns × 1 stream)`,
    load: h2load({
      uri: `${basket.url}/${BasketService.typeName}/AddItem`,
      h1: false,
      clients: c,
      streams: 1,
      headers: [...GRPC_HEADERS, `authorization: ${authorization}`],
      bodyFile: grpcBody,
    }),
    processes: [basket.child, product.child],
    rpc: { server: basket, service: BasketService.typeName, method: "AddItem" },
    reset,
  });
  return targets;
}

async function expectStatus(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

async function expectJsonId(url: string, id: bigint): Promise<void> {
  const body = (await expectStatus(url)) as { id?: unknown };
  if (String(body.id) !== String(id)) {
    throw new Error(`GET ${url} answered product ${String(body.id)}, expected ${id}`);
  }
}

async function expectGrpcProduct(baseUrl: string, id: bigint): Promise<void> {
  const client = createClient(ProductService, createGrpcTransport({ baseUrl }));
  const { product } = await client.getProduct({ id });
  if (product?.id !== id) throw new Error(`gRPC GetProduct(${id}) answered ${product?.id}`);
}

/** Sets `authorization` on every call of a client. */
function withHeader(authorization: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", authorization);
    return next(req);
  };
}
