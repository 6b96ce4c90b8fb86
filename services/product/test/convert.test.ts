import { create, isMessage, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  ListProductsResponseSchema,
  type Product as ProductMessage,
  ProductSchema,
} from "#gen/shop/product/v1/product_pb";
import { formatMoney, parseMoney } from "#shared/money";
import type { ListedProduct } from "../src/db/list-products.js";
import { parseTimestamp } from "../src/db/timestamp.js";
import type { Product } from "../src/domain/product.js";
import { toListedProductMessage, toProductMessage } from "../src/rpc/convert.js";
import { EDGE_ROWS, listedProduct } from "./support/listed-products.js";

/**
 * The message as protobuf-es itself makes it, with the times read as GetProduct reads its row's:
 * what toListedProductMessage must equal.
 */
function viaCreate(product: ListedProduct) {
  return create(ProductSchema, {
    ...product,
    createdAt: timestampFromDate(parseTimestamp(product.createdAt)),
    updatedAt: timestampFromDate(parseTimestamp(product.updatedAt)),
  });
}

const plain = listedProduct;

/** The edge rows, and products a conversion could get wrong. */
const CASES: [string, Partial<ListedProduct>][] = [
  ...EDGE_ROWS,
  ["the largest id", { id: 9_223_372_036_854_775_807n }],
  ["a free product", { price: "0.00" }],
  [
    "times before the epoch, with milliseconds",
    { createdAt: "1969-12-31 23:59:59.9995+00", updatedAt: "1969-12-31 23:59:58.5+00" },
  ],
  ["the first of year 1", { updatedAt: "0001-01-01 00:00:00+00" }],
];

/** The same message as `create` makes: fields, their order, and what protobuf-es makes of it. */
function expectSameMessage(actual: ProductMessage, expected: ProductMessage) {
  expect(actual).toStrictEqual(expected);
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  expect(Object.keys(actual.createdAt ?? {})).toEqual(Object.keys(expected.createdAt ?? {}));
  expect(isMessage(actual, ProductSchema)).toBe(true);
  expect(toBinary(ProductSchema, actual)).toEqual(toBinary(ProductSchema, expected));
  expect(toJson(ProductSchema, actual)).toEqual(toJson(ProductSchema, expected));
}

describe("a listed product's message", () => {
  it.each(CASES)("equals the message create() makes, for %s", (_, changes) => {
    const product = { ...plain, ...changes };
    const expected = viaCreate(product);
    const actual = toListedProductMessage(product);
    expectSameMessage(actual, expected);
  });

  it("encodes a page as a page of create() messages does", () => {
    const page = [
      plain,
      { ...plain, id: 43n, price: "0.50", createdAt: "1969-12-31 23:59:59.999+00" },
    ];
    const response = (products: ReturnType<typeof viaCreate>[]) =>
      toBinary(ListProductsResponseSchema, create(ListProductsResponseSchema, { products }));
    expect(response(page.map(toListedProductMessage))).toEqual(response(page.map(viaCreate)));
  });
});

/** A product as the repository returns it, made of a listed product's row. */
function domainProduct(row: ListedProduct): Product {
  const price = parseMoney(row.price);
  if (price === undefined) throw new Error(`bad price ${row.price}`);
  return {
    ...row,
    price,
    createdAt: parseTimestamp(row.createdAt),
    updatedAt: parseTimestamp(row.updatedAt),
  };
}

describe("a product's message", () => {
  it.each(CASES)("equals the message create() makes, for %s", (_, changes) => {
    const product = domainProduct({ ...plain, ...changes });
    // What toProductMessage wrote before it was a plain object.
    const expected = create(ProductSchema, {
      ...product,
      price: formatMoney(product.price),
      createdAt: timestampFromDate(product.createdAt),
      updatedAt: timestampFromDate(product.updatedAt),
    });
    const actual = toProductMessage(product);
    expectSameMessage(actual, expected);
  });
});
