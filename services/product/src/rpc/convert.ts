import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type Category,
  CategorySchema,
  type ListProductsResponse,
  type Product as ProductMessage,
} from "#gen/shop/product/v1/product_pb";
import { InvalidArgument } from "#shared/errors";
import { formatMoney } from "#shared/money";
import type { ListedProduct, ProductPage } from "../db/list-products.js";
import type { CategoryCount } from "../db/product-repository.js";
import { timestampMillis } from "../db/timestamp.js";
import type { Product } from "../domain/product.js";
import { encodeOnce } from "./product-wire.js";

/** The wire form of a product: money as a decimal string, times as Timestamps. */
export function toProductMessage(product: Product): ProductMessage {
  return productMessage(
    product,
    formatMoney(product.price),
    product.createdAt.getTime(),
    product.updatedAt.getTime(),
  );
}

/**
 * A page's response. A kept page (the page cache's) is converted once, and its response is also
 * written once in binary (`encodeOnce`): it is the same object every time the page is answered.
 */
export function toListProductsResponse(page: ProductPage): ListProductsResponse {
  if (!page.kept) return listResponse(page);
  let response = keptResponses.get(page);
  if (response === undefined) {
    response = encodeOnce(listResponse(page));
    keptResponses.set(page, response);
  }
  return response;
}

const keptResponses = new WeakMap<ProductPage, ListProductsResponse>();

function listResponse(page: ProductPage): ListProductsResponse {
  return {
    $typeName: "shop.product.v1.ListProductsResponse",
    products: page.products.map(toListedProductMessage),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * A listed product's wire form, the same message `toProductMessage` makes of that product: the
 * price is already the decimal text, the times are read as `parseTimestamp` reads them.
 */
export function toListedProductMessage(product: ListedProduct): ProductMessage {
  return productMessage(
    product,
    product.price,
    timestampMillis(product.createdAt),
    timestampMillis(product.updatedAt),
  );
}

/**
 * A product message written as the object `create(ProductSchema, …)` returns (a proto3 message
 * without explicit presence is a plain object: `$typeName` and every field): a page builds 50 of
 * them, GetProduct answers every basket add and checkout line, and `create` walked the schema for
 * the product and both times on every call (a tenth of a page's CPU). `convert.test.ts` holds both
 * conversions equal to the `create` form, and protobuf-es 2.17's `isMessage` and serializers take
 * it as theirs.
 */
function productMessage(
  product: Omit<ListedProduct, "price" | "createdAt" | "updatedAt">,
  price: string,
  createdMs: number,
  updatedMs: number,
): ProductMessage {
  return {
    $typeName: "shop.product.v1.Product",
    id: product.id,
    name: product.name,
    description: product.description,
    price,
    stockQuantity: product.stockQuantity,
    category: product.category,
    imageUrl: product.imageUrl,
    createdAt: timestampOfMs(createdMs),
    updatedAt: timestampOfMs(updatedMs),
  };
}

/**
 * `timestampFromMs(ms)` (and so `timestampFromDate`) of protobuf-es 2.17, written as the object
 * its `create` returns.
 */
function timestampOfMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(seconds),
    nanos: (ms - seconds * 1000) * 1_000_000,
  };
}

export function toCategoryMessage(category: CategoryCount): Category {
  return create(CategorySchema, category);
}

/** Product ids are positive; 0 is what an unset proto field looks like. */
export function productId(id: bigint): bigint {
  if (id <= 0n) throw new InvalidArgument("id", "must be a positive product id");
  return id;
}
