import {
  create,
  type DescMessage,
  type JsonObject,
  type Message,
  toJson,
} from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
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

/**
 * A message with every singular field set to a value unlike its default (nested messages
 * filled the same way, lists given two items), so every field shows in the JSON.
 */
function filled(desc: DescMessage, depth = 0): Message {
  const message = reflect(desc);
  for (const field of desc.fields) {
    if (field.oneof && message.isSet(field)) continue;
    if (field.fieldKind === "scalar") message.set(field, sample(field.scalar, field.number));
    if (field.fieldKind === "enum") message.set(field, field.enum.values.at(-1)?.number ?? 0);
    if (field.fieldKind === "message" && depth < 3) {
      if (field.message.typeName === "google.protobuf.Timestamp") {
        message.set(field, reflect(field.message, timestampFromMs(1_700_000_000_123)));
      } else if (!field.message.typeName.startsWith("google.protobuf.")) {
        message.set(field, reflect(field.message, filled(field.message, depth + 1)));
      }
    }
    if (field.fieldKind === "list" && field.listKind === "message" && depth < 3) {
      const list = message.get(field);
      for (let i = 0; i < 2; i++)
        list.add(reflect(field.message, filled(field.message, depth + 1)));
    }
  }
  return message.message;
}

function sample(scalar: number, n: number): unknown {
  // 9: string, 8: bool, 3/4/6/16/18: 64-bit, 1/2: double/float, 12: bytes; the rest 32-bit.
  if (scalar === 9) return `text "${n}" ✓\n`;
  if (scalar === 8) return true;
  if ([3, 4, 6, 16, 18].includes(scalar)) return BigInt(n) * 1_000_000_007n;
  if (scalar === 1 || scalar === 2) return n + 0.5;
  if (scalar === 12) return new Uint8Array([n, 255]);
  return n * 7;
}

describe("the response_body shortcut", () => {
  const jsonWrite = { alwaysEmitImplicit: true };
  /** What encode wrote before it took the field's message alone: the whole response's JSON. */
  const whole = (t: Transcoder, message: Message): string => {
    const json = toJson(t.route.rpc.output, message, jsonWrite) as JsonObject;
    const field = t.responseField;
    if (!field) return JSON.stringify(json);
    const fallback =
      field.fieldKind === "message"
        ? toJson(field.message, create(field.message), jsonWrite)
        : field.fieldKind === "list"
          ? []
          : null;
    return JSON.stringify(json[field.jsonName] ?? fallback);
  };

  it.each([...transcoders.keys()])("writes %s byte for byte as toJson of the response", (label) => {
    const t = transcoder(label);
    const output = t.route.rpc.output;
    for (const message of [create(output), filled(output)]) {
      expect(t.encode(message)).toBe(whole(t, message));
    }
  });

  it("covers the product read the bench measures, with its nested timestamps", () => {
    const t = transcoder("GET /products/{id}");
    const text = t.encode(filled(GetProductResponseSchema));
    expect(JSON.parse(text)).toMatchObject({
      id: "1000000007",
      createdAt: "2023-11-14T22:13:20.123Z",
    });
  });
});
