import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetBasketResponseSchema } from "#gen/shop/basket/v1/basket_pb";
import {
  GetProductResponseSchema,
  ListProductsResponseSchema,
  ProductSchema,
} from "#gen/shop/product/v1/product_pb";
import { deriveRoutes } from "../src/routes.js";
import { serviceBindings } from "../src/services.js";
import { compileTranscoder, type Transcoder } from "../src/transcode.js";

const transcoders = new Map(
  deriveRoutes(serviceBindings).map((r) => [r.label, compileTranscoder(r)]),
);
const transcoder = (label: string): Transcoder => {
  const found = transcoders.get(label);
  if (!found) throw new Error(`no route ${label}`);
  return found;
};
const split = (path: string) => path.slice(1).split("/");

/** The message a decode throws, or "" when it does not throw. */
function decodeError(label: string, path: string, query: string, body?: unknown): string {
  try {
    transcoder(label).decode(split(path), query, body as never);
    return "";
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return (error as ConnectError).rawMessage;
  }
}

describe("decoding REST requests into RPC requests", () => {
  it("sets path variables with the field's type", () => {
    expect(
      transcoder("GET /products/{id}").decode(split("/products/42"), "", undefined),
    ).toMatchObject({ id: 42n });
  });

  it("takes the whole body for body '*', snake_case or lowerCamelCase", () => {
    const post = transcoder("POST /products");
    expect(post.decode(split("/products"), "", { name: "Tea", stock_quantity: 3 })).toMatchObject({
      stockQuantity: 3,
    });
    expect(post.decode(split("/products"), "", { stockQuantity: 4 })).toMatchObject({
      stockQuantity: 4,
    });
  });

  it("lets path variables override body fields", () => {
    const put = transcoder("PUT /baskets/{user_id}/items/{product_id}");
    const body = { user_id: "mallory", product_id: "9", quantity: 2 };
    expect(put.decode(split("/baskets/ann/items/7"), "", body)).toMatchObject({
      userId: "ann",
      productId: 7n,
      quantity: 2,
    });
  });

  it("converts query parameters to int32, optional string and optional int32", () => {
    const list = transcoder("GET /products").decode(
      split("/products"),
      "page_size=10&min_price=1.50&max_stock=0",
      undefined,
    );
    expect(list).toMatchObject({ pageSize: 10, minPrice: "1.50", maxStock: 0 });
  });

  it.each([
    ["page_size=abc", 'invalid value for query parameter "page_size": expected int32, got "abc"'],
    [
      "pageSize=2147483648",
      'invalid value for query parameter "pageSize": expected int32, got "2147483648"',
    ],
    ["colour=red", 'unknown query parameter "colour"'],
    ["sort=name&sort=price_asc", 'query parameter "sort" given twice'],
    ["category=%E0%A4%A", "malformed percent-encoding in query string"],
  ])("refuses the query %s", (query, message) => {
    expect(decodeError("GET /products", "/products", query)).toContain(message);
  });

  it("refuses query parameters on a route whose body takes every field", () => {
    expect(decodeError("POST /products", "/products", "name=x", {})).toContain(
      "takes no query parameters",
    );
  });

  it("refuses bad path values naming the variable", () => {
    expect(decodeError("GET /products/{id}", "/products/1e3", "")).toBe(
      'invalid value for path parameter "id": expected int64, got "1e3"',
    );
    expect(decodeError("GET /products/{id}", "/products/9223372036854775808", "")).toContain(
      '"id"',
    );
    expect(decodeError("GET /baskets/{user_id}", "/baskets/%zz", "")).toContain(
      "malformed percent-encoding",
    );
  });

  it("refuses unknown body fields and wrong JSON types", () => {
    expect(decodeError("POST /products", "/products", "", { colour: "red" })).toContain(
      'key "colour" is unknown',
    );
    expect(decodeError("POST /products", "/products", "", { name: 5 })).toContain(
      "expected string",
    );
    expect(decodeError("POST /products", "/products", "", null)).toContain("invalid request body");
  });
});

describe("encoding RPC responses as JSON", () => {
  it("applies response_body and prints int64 as a string and Timestamp as RFC 3339", () => {
    const product = create(ProductSchema, { id: 5n, name: "Tea", createdAt: timestampFromMs(0) });
    const text = transcoder("GET /products/{id}").encode(
      create(GetProductResponseSchema, { product }),
    );
    expect(JSON.parse(text)).toMatchObject({
      id: "5",
      name: "Tea",
      price: "",
      createdAt: "1970-01-01T00:00:00Z",
    });
  });

  it("prints empty lists as [] and implicit fields at their defaults", () => {
    const text = transcoder("GET /products").encode(create(ListProductsResponseSchema));
    expect(JSON.parse(text)).toEqual({ products: [], nextPageToken: "" });
  });

  it("prints an unset response_body message as its defaults rather than nothing", () => {
    const text = transcoder("GET /baskets/{user_id}").encode(create(GetBasketResponseSchema));
    expect(JSON.parse(text)).toEqual({ id: "", userId: "", items: [], total: "" });
  });
});
