import { describe, expect, it } from "vitest";
import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import { type Cents, formatMoney, parseMoney } from "#shared/money";
import {
  assembleBasket,
  assertLineQuantity,
  lineLimit,
  MAX_PRODUCT_ID,
  MAX_QUANTITY,
  parseProductId,
  parseQuantity,
  parseUserId,
  type StoredItem,
  type UserId,
} from "../src/domain/basket.js";

describe("user id", () => {
  it.each([
    ["an ordinary id", "alice"],
    ["a UUID", "5f0c7b7e-2b8f-4c4e-9d7e-0c2b8f4c4e9d"],
    ["an email address", "alice@example.com"],
    ["characters that are special in Redis keys", "a}b:{c}"],
    ["non-ASCII letters", "zoë-日本"],
    ["exactly 128 characters", "u".repeat(128)],
  ])("accepts %s", (_case, raw) => {
    expect(parseUserId(raw)).toBe(raw);
  });

  it.each([
    ["an empty id", "", "must not be empty"],
    ["an id longer than 128 characters", "u".repeat(129), "at most 128"],
    ["an id of only whitespace", "  \u00a0 ", "only whitespace"],
    ["an id with a newline", "alice\nbob", "control characters"],
    ["an id with a NUL", "alice\u0000", "control characters"],
    ["an id with a C1 control", "alice\u0085", "control characters"],
    ["an id with a lone surrogate", "alice\ud800", "well-formed"],
  ])("rejects %s as an invalid user_id", (_case, raw, problem) => {
    expect(() => parseUserId(raw)).toThrow(InvalidArgument);
    expect(() => parseUserId(raw)).toThrow(new RegExp(`^user_id: .*${problem}`));
  });
});

describe("product id", () => {
  it.each([1n, 42n, MAX_PRODUCT_ID])("accepts %s", (raw) => {
    expect(parseProductId(raw)).toBe(raw);
  });

  it.each([0n, -1n, MAX_PRODUCT_ID + 1n])("rejects %s as an invalid product_id", (raw) => {
    expect(() => parseProductId(raw)).toThrow(/^product_id: /);
  });
});

describe("quantity", () => {
  it.each([1, 2, MAX_QUANTITY])("accepts %s", (raw) => {
    expect(parseQuantity(raw)).toBe(raw);
  });

  it.each([0, -1, 1.5, MAX_QUANTITY + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    "rejects %s as an invalid quantity",
    (raw) => {
      expect(() => parseQuantity(raw)).toThrow(/^quantity: must be an integer from 1 to 999$/);
    },
  );
});

describe("stock rule", () => {
  it.each([
    ["allows a line up to the stock", 5, 5],
    ["allows a line below the stock", 1, 1_000_000],
    ["allows the maximum quantity when stock is plentiful", MAX_QUANTITY, 1_000_000],
  ])("%s", (_case, wanted, stock) => {
    expect(() => assertLineQuantity(42n, wanted, stock)).not.toThrow();
  });

  it.each([
    ["refuses more than the stock", 5, 3, "only 3 of product 42 in stock, basket would hold 5"],
    ["refuses any quantity of a product out of stock", 1, 0, "none of product 42 in stock"],
    [
      "refuses a line above the maximum even with enough stock",
      MAX_QUANTITY + 1,
      5000,
      "a line holds at most 999 of a product, basket would hold 1000 of product 42",
    ],
  ])("%s", (_case, wanted, stock, message) => {
    expect(() => assertLineQuantity(42n, wanted, stock)).toThrow(FailedPrecondition);
    expect(() => assertLineQuantity(42n, wanted, stock)).toThrow(message);
  });

  it.each([
    [3, 3],
    [0, 0],
    [-2, 0],
    [5000, MAX_QUANTITY],
    [Number.POSITIVE_INFINITY, MAX_QUANTITY],
    [Number.NaN, 0],
  ])("limits a line to %s in stock at %s", (stock, limit) => {
    expect(lineLimit(stock)).toBe(limit);
  });
});

describe("assembled basket", () => {
  const head = {
    id: "b",
    userId: "alice" as UserId,
    createdAt: new Date(1000),
    updatedAt: new Date(2000),
  };
  const item = (productId: bigint, price: string, quantity: number, at: number): StoredItem => ({
    id: `line-${productId}`,
    productId,
    name: `product ${productId}`,
    quantity,
    price: parseMoney(price) as Cents,
    category: "misc",
    createdAt: new Date(at),
  });

  it.each([
    ["is zero for an empty basket", [], "0.00"],
    ["adds ten cents three times exactly", [item(1n, "0.10", 3, 1)], "0.30"],
    ["sums lines exactly", [item(1n, "0.10", 1, 1), item(2n, "0.20", 1, 2)], "0.30"],
    [
      "stays exact at the largest price times the largest quantity",
      [item(1n, "9999999999.99", 999, 1), item(2n, "9999999999.99", 999, 2)],
      "19979999999980.02",
    ],
    [
      "stays exact beyond 2^53 cents",
      Array.from({ length: 10 }, (_, i) => item(BigInt(i + 1), "9999999999.99", 999, i)),
      "99899999999900.10",
    ],
  ])("total %s", (_case, items, total) => {
    expect(formatMoney(assembleBasket(head, items).total)).toBe(total);
  });

  it("gives every line its exact subtotal", () => {
    const basket = assembleBasket(head, [item(7n, "19.99", 3, 1)]);
    expect(basket.items.map((line) => formatMoney(line.subtotal))).toEqual(["59.97"]);
  });

  it("orders lines by when they were added, then by product id", () => {
    const basket = assembleBasket(head, [
      item(3n, "1", 1, 20),
      item(2n, "1", 1, 10),
      item(1n, "1", 1, 20),
    ]);
    expect(basket.items.map((line) => line.productId)).toEqual([2n, 1n, 3n]);
  });
});
