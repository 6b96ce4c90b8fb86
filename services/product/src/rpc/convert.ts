import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Category,
  CategorySchema,
  type Product as ProductMessage,
  ProductSchema,
} from "#gen/shop/product/v1/product_pb";
import { InvalidArgument } from "#shared/errors";
import { formatMoney } from "#shared/money";
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

export function toCategoryMessage(category: CategoryCount): Category {
  return create(CategorySchema, category);
}

/** Product ids are positive; 0 is what an unset proto field looks like. */
export function productId(id: bigint): bigint {
  if (id <= 0n) throw new InvalidArgument("id", "must be a positive product id");
  return id;
}
