import { describe, expect, it } from "vitest";
import { pageStatement } from "../src/db/list-products.js";
import {
  encodePageToken,
  type ListProductsInput,
  PRODUCT_SORTS,
  parseListProductsQuery,
} from "../src/domain/list-query.js";

/** Two values for each filter, so two queries of one shape differ in every value. */
const FILTERS: [Partial<ListProductsInput>, Partial<ListProductsInput>][] = [
  [{ category: "tools" }, { category: "x'; DROP TABLE products; --" }],
  [{ query: "kettle" }, { query: "100%_\\" }],
  [{ minPrice: "1" }, { minPrice: "2.50" }],
  [{ maxPrice: "10" }, { maxPrice: "99.99" }],
  [{ maxStock: 3 }, { maxStock: 0 }],
];

/** Every sort with every subset of the filters, first page and a later one, in both variants. */
function shapes(): [ListProductsInput, ListProductsInput][] {
  const all: [ListProductsInput, ListProductsInput][] = [];
  for (const sort of PRODUCT_SORTS) {
    for (let mask = 0; mask < 2 ** FILTERS.length; mask++) {
      const chosen = FILTERS.filter((_, i) => mask & (1 << i));
      const one = Object.assign({ sort, pageSize: 10 }, ...chosen.map(([a]) => a));
      const two = Object.assign({ sort, pageSize: 20 }, ...chosen.map(([, b]) => b));
      all.push([one, two], [withCursor(one, 7n), withCursor(two, 9n)]);
    }
  }
  return all;
}

function withCursor(input: ListProductsInput, id: bigint): ListProductsInput {
  const key = input.sort === "name" ? "a name" : input.sort === "newest" ? NEWEST_KEY : "5.00";
  return { ...input, pageToken: encodePageToken(parseListProductsQuery(input), { key, id }) };
}

const NEWEST_KEY = "2026-01-02 03:04:05.123456+00";
const statementOf = (input: ListProductsInput) => pageStatement(parseListProductsQuery(input));

describe("the SELECT of a page", () => {
  it("is one text per sort, filter set and cursor, whatever the values", () => {
    const texts = new Set<string>();
    for (const [one, two] of shapes()) {
      const [first, second] = [statementOf(one), statementOf(two)];
      expect(second.text).toBe(first.text);
      expect(second.values).not.toEqual(first.values);
      texts.add(first.text);
    }
    expect(texts.size).toBe(shapes().length);
  });

  it("has a placeholder for each value and binds every caller's text as a value", () => {
    for (const [, input] of shapes()) {
      const { text, values } = statementOf(input);
      const numbers = [...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]));
      expect(new Set(numbers)).toEqual(new Set(values.map((_, i) => i + 1)));
      expect(text).not.toContain("DROP");
      expect(text).not.toContain("100%");
    }
  });

  it("ends with the row limit, one more than the page size", () => {
    const { text, values } = statementOf({ pageSize: 20 });
    expect(text).toMatch(/LIMIT \$1$/);
    expect(values).toEqual([21]);
  });

  it("looks up the word it is given and checks the whole text on the rows found", () => {
    const query = parseListProductsQuery({ query: "steel 50%_kettle" });
    const whole = pageStatement(query);
    const looked = pageStatement(query, "50%_kettle");
    expect(whole.values).toEqual(["%steel 50\\%\\_kettle%", 51]);
    expect(looked.values).toEqual(["%50\\%\\_kettle%", "%steel 50\\%\\_kettle%", 51]);
    expect(looked.shape).not.toBe(whole.shape);
    expect(whole.text).not.toContain("concat_ws");
    expect(looked.text).toMatch(/\(name \|\| E'\\n' \|\| description\) ILIKE \$1/);
    expect(looked.text).toMatch(/concat_ws\(E'\\n', name, description\) ILIKE \$2/);
  });
});
