import { create } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Category,
  CategorySchema,
  type Product as ProductMessage,
  ProductSchema,
} from "#gen/shop/product/v1/product_pb";
import { InvalidArgument } from "#shared/errors";
import { formatMoney } from "#shared/money";
import type { ListedProduct } from "../db/list-products.js";
import type { CategoryCount } from "../db/product-repository.js";
import type { Product } from "../domain/product.js";

/** The wire form of a product: money as a decimal string, times as Timestamps. */
export function toProductMessage(product: Product): ProductMessage {
  return create(ProductSchema, {
    id: product.id,
    name: product.name,
    description: product.description,
    price: formatMoney(product.price),
    stockQuantity: product.stockQuantity,
    category: product.category,
    imageUrl: product.imageUrl,
    createdAt: timestampFromDate(product.createdAt),
    updatedAt: timestampFromDate(product.updatedAt),
  });
}

/**
 * A listed product's wire form, the same message `toProductMessage` makes of that product: the
 * price is already the decimal text, the milliseconds are what `timestampFromDate` reads.
 */
export function toListedProductMessage(product: ListedProduct): ProductMessage {
  return create(ProductSchema, {
    id: product.id,
    name: product.name,
    description: product.description,
    price: product.price,
    stockQuantity: product.stockQuantity,
    category: product.category,
    imageUrl: product.imageUrl,
    createdAt: timestampFromMs(product.createdAtMs),
    updatedAt: timestampFromMs(product.updatedAtMs),
  });
}

export function toCategoryMessage(category: CategoryCount): Category {
  return create(CategorySchema, category);
}

/** Product ids are positive; 0 is what an unset proto field looks like. */
export function productId(id: bigint): bigint {
  if (id <= 0n) throw new InvalidArgument("id", "must be a positive product id");
  return id;
}
