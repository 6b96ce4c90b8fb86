import { randomInt } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type GetProductResponse,
  GetProductResponseSchema,
  type ListProductsResponse,
  ListProductsResponseSchema,
  type Product,
} from "#gen/shop/product/v1/product_pb";
import { envelopeWriter } from "#shared/fast-grpc/binary-encoder";
import { createProductApp } from "../src/app.js";
import { connectProductDatabase } from "../src/db/connection.js";
import type { ListedProduct } from "../src/db/list-products.js";
import { toListedProductMessage } from "../src/rpc/convert.js";
import { encodeOnce, getProductEncoder, listProductsEncoder } from "../src/rpc/product-wire.js";
import { testDatabaseConfig } from "./support/database.js";
import { EDGE_ROWS, listedProduct } from "./support/listed-products.js";

const product = (changes: Partial<ListedProduct> = {}) =>
  toListedProductMessage({ ...listedProduct, ...changes });

function page(products: Product[], nextPageToken = ""): ListProductsResponse {
  return create(ListProductsResponseSchema, { products, nextPageToken });
}

/** The response object as given, without create() (which would mend a foreign list item). */
function raw(products: Product[]): ListProductsResponse {
  return { $typeName: ListProductsResponseSchema.typeName, products, nextPageToken: "" };
}

const answer = (product?: Product): GetProductResponse =>
  create(GetProductResponseSchema, { product });

/** The encoder's bytes, with and without room in front, which must be there and be toBinary's. */
function expectPageBytes(message: ListProductsResponse) {
  const expected = Buffer.from(toBinary(ListProductsResponseSchema, message));
  expectBytes(expected, listProductsEncoder.encode(message, 0));
  expectBytes(expected, listProductsEncoder.encode(message, 7), 7);
}

function expectAnswerBytes(message: GetProductResponse) {
  const expected = Buffer.from(toBinary(GetProductResponseSchema, message));
  expectBytes(expected, getProductEncoder.encode(message, 0));
  expectBytes(expected, getProductEncoder.encode(message, 5), 5);
}

function expectBytes(expected: Buffer, bytes: Uint8Array | undefined, headroom = 0) {
  expect(bytes).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(bytes ?? [])).toEqual(Buffer.concat([Buffer.alloc(headroom), expected]));
}

/** A product of random text, numbers and times. */
const randomProduct = () =>
  product({
    id: BigInt(randomInt(1, 2 ** 48)) * BigInt(randomInt(1, 2 ** 5)),
    name: randomText(randomInt(0, 200)),
    description: randomText(randomInt(0, 300)),
    price: `${randomInt(0, 10_000_000)}.${String(randomInt(100)).padStart(2, "0")}`,
    stockQuantity: randomInt(0, 2 ** 31 - 1),
    category: randomText(randomInt(0, 20)),
    imageUrl: randomText(randomInt(0, 200)),
    createdAt: randomTime(),
    updatedAt: randomTime(),
  });

const randomText = (length: number) =>
  String.fromCodePoint(
    ...Array.from({ length }, () =>
      randomInt(4) === 0 ? randomInt(0x80, 0x2_0000) : randomInt(0x20, 0x7f),
    ).filter((code) => code < 0xd800 || code > 0xdfff),
  );

/** A time from 1970 to 6429 as PostgreSQL prints it in a UTC session. */
function randomTime(): string {
  const iso = new Date(randomInt(0, 2 ** 47)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}${randomInt(1000)}+00`;
}

/** The edge rows, and products at the limits of what the encoder writes. */
const PRODUCTS: [string, Partial<ListedProduct>][] = [
  ...EDGE_ROWS,
  ["the largest id written here (2^53 - 1)", { id: 9_007_199_254_740_991n }],
  ["ids at varint boundaries", { id: 2n ** 49n - 1n }],
  ["id 2^49", { id: 2n ** 49n }],
  ["id 127 and stock 128", { id: 127n, stockQuantity: 128 }],
  ["a lone surrogate (U+FFFD on the wire)", { name: "broken \ud800 pair" }],
  [
    "text of 127, 128 and 20 000 bytes",
    { name: "n".repeat(127), description: "d".repeat(128), imageUrl: "é".repeat(10_000) },
  ],
  [
    "empty Timestamps",
    { createdAt: "1970-01-01 00:00:00+00", updatedAt: "1970-01-01 00:00:00+00" },
  ],
];

describe("ListProductsResponse written by hand", () => {
  it.each(PRODUCTS)("writes toBinary's bytes for %s", (_, changes) => {
    expectPageBytes(page([product(changes)], "token"));
  });

  it("writes toBinary's bytes for an empty page, with and without a token", () => {
    expectPageBytes(page([]));
    expectPageBytes(page([], "eyJzIjoibmFtZSJ9"));
  });

  it("writes toBinary's bytes for pages of random products", () => {
    for (let i = 0; i < 50; i++) {
      const products = Array.from({ length: randomInt(1, 60) }, randomProduct);
      expectPageBytes(page(products, randomText(randomInt(0, 300))));
    }
  });

  it("writes toBinary's bytes for a product without times", () => {
    expectPageBytes(page([{ ...product(), createdAt: undefined, updatedAt: undefined }]));
  });

  it("writes a response marked encodeOnce once, and copies those bytes after", () => {
    const message = encodeOnce(page([randomProduct(), randomProduct()], "token"));
    expectPageBytes(message);
    const first = Buffer.from(toBinary(ListProductsResponseSchema, message));
    // Never done to such a message: here it shows the bytes are not written again.
    message.nextPageToken = "changed";
    expectBytes(first, listProductsEncoder.encode(message, 0));
    expectBytes(first, listProductsEncoder.encode(message, 5), 5);
    const unmarked = page([randomProduct()], "token");
    listProductsEncoder.encode(unmarked, 0);
    unmarked.nextPageToken = "changed";
    expectPageBytes(unmarked);
  });

  it.each<[string, () => ListProductsResponse]>([
    [
      "unknown fields on the response",
      () => ({
        ...page([product()]),
        $unknown: [{ no: 9, wireType: 0, data: new Uint8Array([1]) }],
      }),
    ],
    [
      "unknown fields on a product",
      () =>
        page([{ ...product(), $unknown: [{ no: 20, wireType: 0, data: new Uint8Array([1]) }] }]),
    ],
    ["a negative id (ten varint bytes)", () => page([product({ id: -1n })])],
    ["an id above 2^53", () => page([product({ id: 2n ** 53n + 1n })])],
    ["the largest id", () => page([product({ id: 9_223_372_036_854_775_807n })])],
    ["a negative stock", () => page([product({ stockQuantity: -1 })])],
    ["a time before 1970", () => page([product({ createdAt: "1969-12-31 23:59:59.999+00" })])],
    [
      "another message type in the list",
      () => raw([{ ...product(), $typeName: "shop.product.v1.Category" } as unknown as Product]),
    ],
    ["a field that is not a string", () => page([{ ...product(), name: 5 as unknown as string }])],
  ])("leaves %s to toBinary", (_, message) => {
    expect(listProductsEncoder.encode(message(), 0)).toBeUndefined();
    expect(listProductsEncoder.encode(message(), 5)).toBeUndefined();
  });
});

describe("GetProductResponse written by hand", () => {
  it.each(PRODUCTS)("writes toBinary's bytes for %s", (_, changes) => {
    expectAnswerBytes(answer(product(changes)));
  });

  it("writes toBinary's bytes for no product and for a product without times", () => {
    expectAnswerBytes(answer());
    expectAnswerBytes(answer({ ...product(), createdAt: undefined, updatedAt: undefined }));
  });

  it("writes toBinary's bytes for random products", () => {
    for (let i = 0; i < 200; i++) expectAnswerBytes(answer(randomProduct()));
  });

  it.each<[string, () => GetProductResponse]>([
    [
      "unknown fields on the response",
      () => ({
        ...answer(product()),
        $unknown: [{ no: 9, wireType: 0, data: new Uint8Array([1]) }],
      }),
    ],
    [
      "unknown fields on the product",
      () =>
        answer({ ...product(), $unknown: [{ no: 20, wireType: 0, data: new Uint8Array([1]) }] }),
    ],
    ["a negative id (ten varint bytes)", () => answer(product({ id: -1n }))],
    ["an id above 2^53", () => answer(product({ id: 2n ** 53n + 1n }))],
    ["a negative stock", () => answer(product({ stockQuantity: -1 }))],
    ["a time before 1970", () => answer(product({ createdAt: "1969-12-31 23:59:59.999+00" }))],
    [
      "another message type as the product",
      () => ({
        $typeName: GetProductResponseSchema.typeName,
        product: { ...product(), $typeName: "shop.product.v1.Category" } as unknown as Product,
      }),
    ],
    ["a field that is not a string", () => answer({ ...product(), name: 5 as unknown as string })],
  ])("leaves %s to toBinary", (_, message) => {
    expect(getProductEncoder.encode(message(), 0)).toBeUndefined();
    expect(getProductEncoder.encode(message(), 5)).toBeUndefined();
  });

  it("frames an answer as connect's gRPC envelope, and leaves one over the write limit", () => {
    const message = answer(product());
    const bytes = toBinary(GetProductResponseSchema, message);
    const frame = envelopeWriter(getProductEncoder, { writeMaxBytes: bytes.length });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(bytes.length, 1);
    expect(Buffer.from(frame?.(message) ?? [])).toEqual(Buffer.concat([header, bytes]));
    const tight = envelopeWriter(getProductEncoder, { writeMaxBytes: bytes.length - 1 });
    expect(tight?.(message)).toBeUndefined();
  });
});

it("is what the product service's binding writes ListProducts and GetProduct answers with", async () => {
  // The pool connects on its first query; none is made here.
  const sql = connectProductDatabase(testDatabaseConfig);
  const app = createProductApp(sql);
  await sql.end();
  const binding = app.services.find((service) => service.desc.typeName.endsWith("ProductService"));
  expect(binding?.encoders).toContain(listProductsEncoder);
  expect(binding?.encoders).toContain(getProductEncoder);
});
