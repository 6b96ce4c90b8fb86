import type { ListedProduct } from "../../src/db/list-products.js";

/** A listed product as the list SELECT reads one. */
export const listedProduct: ListedProduct = {
  id: 42n,
  name: "Milk jug",
  description: "steel, 1 l",
  price: "19.90",
  stockQuantity: 7,
  category: "kitchen",
  imageUrl: "https://images.example.com/jug.png",
  createdAt: "2026-03-04 05:06:07.999999+00",
  updatedAt: "2026-03-04 05:06:08.123999+00",
};

/** Changes to `listedProduct` that every conversion of a listed product must get right. */
export const EDGE_ROWS: [string, Partial<ListedProduct>][] = [
  ["an ordinary product", {}],
  ["empty text and zero stock", { description: "", stockQuantity: 0, category: "", imageUrl: "" }],
  ["the largest stock and price", { stockQuantity: 2_147_483_647, price: "9999999999.99" }],
  ["a fractional price", { price: "0.05" }],
  ["non-ASCII text", { name: "Crème brûlée 🍮", description: "naïve – “quoted”" }],
  [
    "the epoch itself",
    { createdAt: "1970-01-01 00:00:00+00", updatedAt: "1970-01-01 00:00:00.0001+00" },
  ],
  ["whole seconds", { createdAt: "2023-11-14 22:13:20+00", updatedAt: "1970-01-01 00:00:01+00" }],
  ["the last millisecond of year 9999", { createdAt: "9999-12-31 23:59:59.999999+00" }],
];
