import { describe, expect, it } from "vitest";
import { InvalidArgument } from "#shared/errors";
import { formatMoney } from "#shared/money";
import {
  type NewProductInput,
  validateNewProduct,
  validateProductChanges,
} from "../src/domain/product.js";

const valid: NewProductInput = {
  name: "Kettle",
  description: "Boils water.",
  price: "19.99",
  stockQuantity: 3,
  category: "kitchen",
  imageUrl: "https://img.example.com/kettle.png",
};

describe("a new product", () => {
  it("keeps valid input, with the price in exact cents", () => {
    const fields = validateNewProduct(valid);
    expect(fields).toMatchObject({ name: "Kettle", stockQuantity: 3, category: "kitchen" });
    expect(fields.price).toBe(1999n);
  });

  it("defaults the optional fields to empty and zero", () => {
    const fields = validateNewProduct({ name: "Mug", price: "5" });
    expect(fields).toEqual({
      name: "Mug",
      description: "",
      price: 500n,
      stockQuantity: 0,
      category: "",
      imageUrl: "",
    });
  });

  it.each([
    ["name", "  Kettle  ", "Kettle"],
    ["category", " kitchen ", "kitchen"],
    ["imageUrl", " http://x.example/a.png ", "http://x.example/a.png"],
  ] as const)("trims surrounding spaces from %s", (field, given, kept) => {
    expect(validateNewProduct({ ...valid, [field]: given })[field]).toBe(kept);
  });

  it.each([
    ["19.9", "19.90"],
    ["0.10", "0.10"],
    ["0", "0.00"],
    ["9999999999.99", "9999999999.99"],
  ])("reads price %s as exactly %s", (price, formatted) => {
    expect(formatMoney(validateNewProduct({ ...valid, price }).price)).toBe(formatted);
  });

  it("counts characters, not UTF-16 units, against the name limit", () => {
    expect(validateNewProduct({ ...valid, name: "🙂".repeat(200) }).name).toHaveLength(400);
  });

  it.each<[string, Partial<NewProductInput>, string]>([
    ["an empty name", { name: "" }, "name"],
    ["a name of spaces only", { name: "   " }, "name"],
    ["a name over 200 characters", { name: "n".repeat(201) }, "name"],
    ["a name with a line break", { name: "a\nb" }, "name"],
    ["a description over 5000 characters", { description: "d".repeat(5001) }, "description"],
    ["a description with NUL", { description: "a\u0000b" }, "description"],
    ["an empty price", { price: "" }, "price"],
    ["a negative price", { price: "-1.00" }, "price"],
    ["a price with 3 decimals", { price: "1.999" }, "price"],
    ["a price in exponent form", { price: "1e3" }, "price"],
    ["a price above 9999999999.99", { price: "10000000000" }, "price"],
    ["a negative stock", { stockQuantity: -1 }, "stock_quantity"],
    ["a fractional stock", { stockQuantity: 1.5 }, "stock_quantity"],
    ["a stock above int32", { stockQuantity: 2_147_483_648 }, "stock_quantity"],
    ["a category over 100 characters", { category: "c".repeat(101) }, "category"],
    ["an image_url that is not a URL", { imageUrl: "kettle.png" }, "image_url"],
    ["an image_url that is not http(s)", { imageUrl: "ftp://x.example/a.png" }, "image_url"],
    ["a javascript: image_url", { imageUrl: "javascript:alert(1)" }, "image_url"],
    [
      "an image_url over 2048 characters",
      { imageUrl: `https://x.example/${"a".repeat(2048)}` },
      "image_url",
    ],
  ])("refuses %s, naming the field", (_, change, field) => {
    const attempt = () => validateNewProduct({ ...valid, ...change });
    expect(attempt).toThrow(InvalidArgument);
    expect(attempt).toThrow(new RegExp(`^${field}: `));
  });
});

describe("product changes", () => {
  it("contain only the fields that are present", () => {
    expect(validateProductChanges({ price: "1.5" })).toEqual({ price: 150n });
    expect(validateProductChanges({})).toEqual({});
  });

  it("may set optional text back to empty", () => {
    expect(validateProductChanges({ category: "", imageUrl: "" })).toEqual({
      category: "",
      imageUrl: "",
    });
  });

  it.each<[string, Parameters<typeof validateProductChanges>[0], string]>([
    ["an empty name", { name: "" }, "name"],
    ["a bad price", { price: "abc" }, "price"],
    ["a negative stock", { stockQuantity: -5 }, "stock_quantity"],
    ["a non-http image_url", { imageUrl: "data:image/png;base64,AA" }, "image_url"],
  ])("refuse %s by the same rules as a new product", (_, input, field) => {
    expect(() => validateProductChanges(input)).toThrow(new RegExp(`^${field}: `));
  });
});
