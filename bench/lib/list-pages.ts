import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ListProductsRequestSchema, ProductService } from "#gen/shop/product/v1/product_pb";
import { CATEGORY_COUNT, grpcFrame } from "./fixture.js";
import { grpcFramesLoad } from "./grpc-frames.js";
import type { Server } from "./servers.js";
import type { Target } from "./targets.js";

/** Products a page, as `grpc-list` asks. */
const PAGE_SIZE = 50;

/** ListProducts' sorts, all four. */
const SORTS = ["name", "price_asc", "price_desc", "newest"] as const;

/**
 * Four price bands that split each category's prices (0.99–100.98, the same spread in every
 * category) into quarters: about 625 products each at the default size, 6 250 at 1 M.
 */
const PRICE_BANDS = [
  ["0.00", "24.99"],
  ["25.00", "49.99"],
  ["50.00", "74.99"],
  ["75.00", "100.99"],
] as const;

/** One page's ListProductsRequest. */
export type PageRequest = {
  readonly category: string;
  readonly sort: (typeof SORTS)[number];
  readonly minPrice: string;
  readonly maxPrice: string;
  readonly pageSize: number;
};

/**
 * The first page of every category × sort × price band, 50 a page: 640 distinct pages holding
 * 32 000 products, eight times the product service's page cache (PAGE_CACHE_PRODUCTS, 4096), so
 * sent in turn no page is still kept when it is asked again.
 */
export function listPageRequests(): PageRequest[] {
  return Array.from({ length: CATEGORY_COUNT }, (_, c) => `category-${c}`).flatMap((category) =>
    SORTS.flatMap((sort) =>
      PRICE_BANDS.map(([minPrice, maxPrice]) => ({
        category,
        sort,
        minPrice,
        maxPrice,
        pageSize: PAGE_SIZE,
      })),
    ),
  );
}

const VERIFY_CONCURRENCY = 8;

/**
 * `grpc-list-pages`: the list's cost when its pages are not asked again soon — every page of
 * `listPageRequests` in turn, over as many connections as `grpc-list`, sent by the gRPC frames
 * driver (h2load sends one body). Verified first, every page: it must be full, of its category
 * and inside its band. Its driver reads each call's grpc-status, so the row counts gRPC failures
 * itself and has no `rpc` (the server's metric would count them a second time).
 */
export async function listPagesTarget(
  product: Server,
  concurrency: number,
  file: (name: string, bytes: Uint8Array) => string,
): Promise<Target> {
  const requests = listPageRequests();
  const client = createClient(ProductService, createGrpcTransport({ baseUrl: product.url }));
  for (let at = 0; at < requests.length; at += VERIFY_CONCURRENCY) {
    await Promise.all(
      requests.slice(at, at + VERIFY_CONCURRENCY).map(async (request) => {
        const { products } = await client.listProducts(request);
        const min = Number(request.minPrice);
        const max = Number(request.maxPrice);
        const outside = products.find(
          (item) =>
            item.category !== request.category ||
            Number(item.price) < min ||
            Number(item.price) > max,
        );
        if (products.length !== request.pageSize || outside) {
          throw new Error(
            `ListProducts(${JSON.stringify(request)}) answered ${products.length} products` +
              (outside ? `, product ${outside.id} outside the filter` : ", not a full page"),
          );
        }
      }),
    );
  }
  const frames = requests.map((request) =>
    grpcFrame(toBinary(ListProductsRequestSchema, create(ListProductsRequestSchema, request))),
  );
  return {
    key: "grpc-list-pages",
    label:
      `gRPC ListProducts: ${requests.length} distinct pages round-robin ` +
      `(category × sort × price band), ${PAGE_SIZE}/page (${concurrency} conns)`,
    load: grpcFramesLoad({
      url: product.url,
      path: `/${ProductService.typeName}/ListProducts`,
      framesFile: file("list-pages.grpc", Buffer.concat(frames)),
      connections: concurrency,
      streams: 1,
    }),
    processes: [product.child],
  };
}
