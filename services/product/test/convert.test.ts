import { create, isMessage, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ListProductsResponseSchema, ProductSchema } from "#gen/shop/product/v1/product_pb";
import type { ListedProduct } from "../src/db/list-products.js";
import { toListedProductMessage } from "../src/rpc/convert.js";

/** The message as protobuf-es itself makes it: what toListedProductMessage must equal. */
function viaCreate(product: ListedProduct) {
  return create(ProductSchema, {
    ...product,
    createdAt: timestampFromMs(product.createdAtMs),
    updatedAt: timestampFromMs(product.updatedAtMs),
  });
}

const plain: ListedProduct = {
  id: 42n,
  name: "Milk jug",
  description: "steel, 1 l",
  price: "19.90",
  stockQuantity: 7,
  category: "kitchen",
  imageUrl: "https://images.example.com/jug.png",
  createdAtMs: Date.UTC(2026, 2, 4, 5, 6, 7, 999),
  updatedAtMs: Date.UTC(2026, 2, 4, 5, 6, 8, 123),
};

describe("a listed product's message", () => {
  it.each<[string, Partial<ListedProduct>]>([
    ["an ordinary row", {}],
    [
      "empty text and zero stock (fields the wire leaves out)",
      { description: "", stockQuantity: 0, category: "", imageUrl: "" },
    ],
    [
      "the largest id, stock and price",
      { id: 9_223_372_036_854_775_807n, stockQuantity: 2_147_483_647, price: "9999999999.99" },
    ],
    ["a fractional and a zero price", { price: "0.05" }],
    ["a free product", { price: "0.00" }],
    ["non-ASCII text", { name: "Crème brûlée 🍮", description: "naïve – “quoted”" }],
    ["the epoch itself", { createdAtMs: 0, updatedAtMs: 0 }],
    ["times before the epoch, with milliseconds", { createdAtMs: -1, updatedAtMs: -1_500 }],
    ["whole seconds", { createdAtMs: 1_700_000_000_000, updatedAtMs: 1_000 }],
    ["the last millisecond of year 9999", { createdAtMs: 253_402_300_799_999 }],
    ["the first of year 1", { updatedAtMs: -62_135_596_800_000 }],
  ])("equals the message create() makes, for %s", (_, changes) => {
    const product = { ...plain, ...changes };
    const expected = viaCreate(product);
    const actual = toListedProductMessage(product);
    expect(actual).toStrictEqual(expected);
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
    expect(Object.keys(actual.createdAt ?? {})).toEqual(Object.keys(expected.createdAt ?? {}));
    expect(isMessage(actual, ProductSchema)).toBe(true);
    expect(toBinary(ProductSchema, actual)).toEqual(toBinary(ProductSchema, expected));
    expect(toJson(ProductSchema, actual)).toEqual(toJson(ProductSchema, expected));
  });

  it("encodes a page as a page of create() messages does", () => {
    const page = [plain, { ...plain, id: 43n, price: "0.50", createdAtMs: -1 }];
    const response = (products: ReturnType<typeof viaCreate>[]) =>
      toBinary(ListProductsResponseSchema, create(ListProductsResponseSchema, { products }));
    expect(response(page.map(toListedProductMessage))).toEqual(response(page.map(viaCreate)));
  });
});
