import { describe, expect, it } from "vitest";
import { InvalidArgument } from "#shared/errors";
import {
  encodePageToken,
  type ListProductsInput,
  parseListProductsQuery,
} from "../src/domain/list-query.js";

const cursor = { key: "2026-01-02 03:04:05.123456+00", id: 42n };

/** A token for the page after `cursor` of the query these parameters describe. */
function tokenFor(input: ListProductsInput): string {
  return encodePageToken(parseListProductsQuery(input), cursor);
}

describe("list parameters", () => {
  it("default to 50 newest products with no filter", () => {
    expect(parseListProductsQuery({})).toEqual({
      pageSize: 50,
      sort: "newest",
      filters: {
        category: "",
        query: "",
        minPrice: undefined,
        maxPrice: undefined,
        maxStock: undefined,
      },
      after: undefined,
    });
  });

  it.each([
    [0, 50],
    [1, 1],
    [500, 500],
  ])("read page_size %i as %i", (pageSize, expected) => {
    expect(parseListProductsQuery({ pageSize }).pageSize).toBe(expected);
  });

  it("keep prices as exact cents and trim text filters", () => {
    const { filters } = parseListProductsQuery({
      minPrice: "0.1",
      maxPrice: "19.99",
      category: " toys ",
      query: " red ",
      maxStock: 0,
    });
    expect(filters).toEqual({
      category: "toys",
      query: "red",
      minPrice: 10n,
      maxPrice: 1999n,
      maxStock: 0,
    });
  });

  it.each<[string, ListProductsInput, string]>([
    ["a negative page_size", { pageSize: -1 }, "page_size"],
    ["a page_size above 500", { pageSize: 501 }, "page_size"],
    ["an unknown sort", { sort: "price" }, "sort"],
    ["a query over 200 characters", { query: "q".repeat(201) }, "query"],
    ["a category over 100 characters", { category: "c".repeat(101) }, "category"],
    ["a malformed min_price", { minPrice: "1,00" }, "min_price"],
    ["a negative max_price", { maxPrice: "-1" }, "max_price"],
    ["min_price above max_price", { minPrice: "10", maxPrice: "9.99" }, "min_price"],
    ["a negative max_stock", { maxStock: -1 }, "max_stock"],
  ])("refuse %s, naming the field", (_, input, field) => {
    const attempt = () => parseListProductsQuery(input);
    expect(attempt).toThrow(InvalidArgument);
    expect(attempt).toThrow(new RegExp(`^${field}: `));
  });
});

describe("a page token", () => {
  it("brings back the cursor it was made from", () => {
    const input = { category: "toys", sort: "newest", minPrice: "1" };
    expect(parseListProductsQuery({ ...input, pageToken: tokenFor(input) }).after).toEqual(cursor);
  });

  it("made by an earlier build is still accepted, and made the same way now", () => {
    // Minted before the fingerprint moved to crypto.hash: a token a client holds keeps working.
    const held = "eyJzIjoicHJpY2VfYXNjIiwiayI6IjUuMDAiLCJpIjoiNDIiLCJmIjoibFd4WGNXS1JMamI3RFpBbiJ9";
    const input = { category: "tools", sort: "price_asc", minPrice: "1", maxStock: 3 };
    const query = parseListProductsQuery({ ...input, pageToken: held });
    expect(query.after).toEqual({ key: "5.00", id: 42n });
    expect(encodePageToken(query, { key: "5.00", id: 42n })).toBe(held);
  });

  it("is accepted with another page size", () => {
    const token = tokenFor({ pageSize: 10 });
    expect(parseListProductsQuery({ pageSize: 20, pageToken: token }).after).toEqual(cursor);
  });

  it("does not reveal its contents as plain text", () => {
    expect(tokenFor({ category: "toys" })).not.toContain("toys");
  });

  it.each<[string, ListProductsInput, ListProductsInput]>([
    ["another category", { category: "toys" }, { category: "books" }],
    ["another query", { query: "red" }, { query: "blue" }],
    ["another min_price", { minPrice: "1" }, { minPrice: "2" }],
    ["a max_price added", {}, { maxPrice: "100" }],
    ["another max_stock", { maxStock: 5 }, { maxStock: 6 }],
    ["another sort", { sort: "newest" }, { sort: "name" }],
  ])("is refused with %s", (_, made, used) => {
    const token = tokenFor(made);
    expect(() => parseListProductsQuery({ ...used, pageToken: token })).toThrow(
      "page_token: does not match the query",
    );
  });

  it.each([
    ["not base64url", "%%%"],
    ["not JSON", Buffer.from("nope").toString("base64url")],
    ["JSON of the wrong shape", Buffer.from('{"s":"newest"}').toString("base64url")],
    ["a key that is not a timestamp", tokenWith({ k: "yesterday" })],
    ["an id that is not a number", tokenWith({ i: "1 OR 1=1" })],
    ["an id beyond int64", tokenWith({ i: "9999999999999999999" })],
  ])("is refused as malformed when it is %s", (_, token) => {
    expect(() => parseListProductsQuery({ pageToken: token })).toThrow("page_token: is malformed");
  });
});

/** A well-formed token for the default query with one field replaced. */
function tokenWith(change: Record<string, string>): string {
  const token = JSON.parse(Buffer.from(tokenFor({}), "base64url").toString());
  return Buffer.from(JSON.stringify({ ...token, ...change })).toString("base64url");
}
