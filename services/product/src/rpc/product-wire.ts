import { type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  GetProductResponseSchema,
  type ListProductsResponse,
  ListProductsResponseSchema,
  type Product,
  ProductSchema,
} from "#gen/shop/product/v1/product_pb";
import type { BinaryEncoder } from "#shared/fast-grpc/binary-encoder";

/**
 * ListProductsResponse and GetProductResponse in protobuf binary, written directly: the bytes
 * protobuf-es 2.17's `toBinary` writes (fields in number order, proto3 zero values left out,
 * messages length-delimited), written into one reused buffer and copied out once, behind the
 * room the gRPC path asks for its envelope header. toBinary grows a fresh buffer
 * from 128 bytes by doubling (40 KiB of garbage for a 10 KiB page of 50 products, 384 bytes and
 * a slice for one product), and the gRPC path then copied the message behind its header.
 *
 * It writes only what this service's conversions make — plain message objects, ids and times
 * from 0 to 2^53 (a stored id or a time after 1970), non-negative stock, text fields that are
 * strings, no unknown fields — and answers undefined for anything else, which the caller then
 * gives to toBinary. `product-wire.test.ts` compares the two byte for byte.
 */
export const listProductsEncoder: BinaryEncoder<typeof ListProductsResponseSchema> = {
  schema: ListProductsResponseSchema,
  encode: encodeList,
};

/** GetProductResponse's one field, `product = 1`, is written as a page of one product. */
export const getProductEncoder: BinaryEncoder<typeof GetProductResponseSchema> = {
  schema: GetProductResponseSchema,
  encode: encodeGet,
};

/**
 * Marks a response that will be answered again unchanged (a kept page's): the first encoding
 * keeps its bytes, and the next ones copy them. Such a message must never change.
 */
export function encodeOnce<M extends ListProductsResponse>(message: M): M {
  encodedOnce.set(message, null);
  return message;
}

const encodedOnce = new WeakMap<object, Uint8Array<ArrayBuffer> | null>();

function encodeList(
  message: ListProductsResponse,
  headroom: number,
): Uint8Array<ArrayBuffer> | undefined {
  const once = encodedOnce.get(message);
  if (once) {
    const bytes = new Uint8Array(headroom + once.byteLength);
    bytes.set(once, headroom);
    return bytes;
  }
  if (!plain(message, ListProductsResponseSchema.typeName)) return undefined;
  const { products, nextPageToken } = message;
  for (const product of products) if (!writable(product)) return undefined;
  if (typeof nextPageToken !== "string") return undefined;
  const bytes = written(products, nextPageToken, headroom);
  if (once === null) encodedOnce.set(message, bytes.slice(headroom));
  return bytes;
}

function encodeGet(
  message: { $typeName: string; product?: Product | undefined },
  headroom: number,
): Uint8Array<ArrayBuffer> | undefined {
  if (!plain(message, GetProductResponseSchema.typeName)) return undefined;
  const { product } = message;
  if (product === undefined) return new Uint8Array(headroom);
  if (!writable(product)) return undefined;
  return written([product], "", headroom);
}

/** Field 1 (products, or the product) and field 2 (the page token) after `headroom` zero bytes. */
function written(
  products: readonly Product[],
  token: string,
  headroom: number,
): Uint8Array<ArrayBuffer> {
  const w: Writer = { buf: scratch, pos: headroom };
  for (const product of products) writeProduct(w, product);
  writeString(w, 0x12, token);
  scratch = w.buf;
  const bytes = w.buf.slice(0, w.pos);
  bytes.fill(0, 0, headroom);
  return bytes;
}

/**
 * The fields the writers below know, by number, name and type. A proto change that adds, drops or
 * retypes one stops the product service when it loads this file, rather than leaving the field
 * out of every answer while the tests' products happen not to fill it.
 */
const WRITTEN: ReadonlyArray<[DescMessage, string]> = [
  [ListProductsResponseSchema, "1 products repeated message, 2 next_page_token string"],
  [GetProductResponseSchema, "1 product message"],
  [
    ProductSchema,
    "1 id int64, 2 name string, 3 description string, 4 price string, 5 stock_quantity int32, " +
      "6 category string, 7 image_url string, 8 created_at message, 9 updated_at message",
  ],
  [TimestampSchema, "1 seconds int64, 2 nanos int32"],
];
for (const [schema, expected] of WRITTEN) {
  const actual = schema.fields.map((field) => `${field.number} ${field.name} ${fieldType(field)}`);
  if (actual.join(", ") !== expected)
    throw new Error(
      `product-wire.ts writes ${schema.typeName} as {${expected}}, the proto now says {${actual.join(", ")}}: update the encoder`,
    );
}

function fieldType(field: DescMessage["fields"][number]): string {
  if (field.fieldKind === "list") return `repeated ${field.listKind}`;
  if (field.fieldKind === "message") return "message";
  if (field.fieldKind === "scalar") return ScalarType[field.scalar].toLowerCase();
  return field.fieldKind;
}

type Timestamp = NonNullable<Product["createdAt"]>;
type Writer = { buf: Uint8Array<ArrayBuffer>; pos: number };

/** Reused by every call (encoding is synchronous); grows to the largest page written. */
let scratch = new Uint8Array(64 * 1024);

const INT32_MAX = 0x7fff_ffff;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TEXT_FIELDS = ["name", "description", "price", "category", "imageUrl"] as const;
const UTF8 = new TextEncoder();

/** A message object as `create` makes it for a proto3 message: own fields, nothing unknown. */
function plain(message: object, typeName: string): boolean {
  const { $typeName, $unknown } = message as { $typeName?: string; $unknown?: unknown };
  return (
    Object.getPrototypeOf(message) === Object.prototype &&
    $typeName === typeName &&
    $unknown === undefined
  );
}

/** A product this encoder writes as toBinary does (ids and times below 2^53, as stored). */
function writable(p: Product): boolean {
  return (
    plain(p, ProductSchema.typeName) &&
    isSafeUint(p.id) &&
    isUint31(p.stockQuantity) &&
    // Spelled out: a callback per product was 5 KiB of garbage a page.
    typeof p.name === "string" &&
    typeof p.description === "string" &&
    typeof p.price === "string" &&
    typeof p.category === "string" &&
    typeof p.imageUrl === "string" &&
    (p.createdAt === undefined || writableTime(p.createdAt)) &&
    (p.updatedAt === undefined || writableTime(p.updatedAt))
  );
}

function writableTime(t: Timestamp): boolean {
  return plain(t, TimestampSchema.typeName) && isSafeUint(t.seconds) && isUint31(t.nanos);
}

function writeProduct(w: Writer, p: Product): void {
  // Room for the product at its largest (3 UTF-8 bytes per UTF-16 unit, varints, tags): only
  // the strings check for room themselves.
  let most = 80;
  for (const field of TEXT_FIELDS) most += 3 * p[field].length;
  reserve(w, most);
  w.buf[w.pos++] = 0x0a; // products, length-delimited
  // Two bytes for the length, enough up to 16 KiB; join() moves the body when it is not.
  w.pos += 2;
  const start = w.pos;
  if (p.id !== 0n) writeVarint(w, 0x08, Number(p.id));
  writeString(w, 0x12, p.name);
  writeString(w, 0x1a, p.description);
  writeString(w, 0x22, p.price);
  if (p.stockQuantity !== 0) writeVarint(w, 0x28, p.stockQuantity);
  writeString(w, 0x32, p.category);
  writeString(w, 0x3a, p.imageUrl);
  if (p.createdAt !== undefined) writeTimestamp(w, 0x42, p.createdAt);
  if (p.updatedAt !== undefined) writeTimestamp(w, 0x4a, p.updatedAt);
  join(w, start, 2);
}

function writeTimestamp(w: Writer, tag: number, t: Timestamp): void {
  const seconds = Number(t.seconds);
  const size =
    (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (t.nanos === 0 ? 0 : 1 + varintSize(t.nanos));
  writeVarint(w, tag, size);
  if (seconds !== 0) writeVarint(w, 0x08, seconds);
  if (t.nanos !== 0) writeVarint(w, 0x10, t.nanos);
}

/** A string field ("" is left out) as toBinary writes it: ASCII byte by byte, else UTF-8. */
function writeString(w: Writer, tag: number, value: string): void {
  if (value === "") return;
  const length = value.length;
  reserve(w, 3 * length + 6);
  const { buf } = w;
  buf[w.pos++] = tag;
  const prefix = varintSize(length);
  const start = w.pos + prefix;
  let i = 0;
  for (; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0x7f) break;
    buf[start + i] = code;
  }
  // UTF-8 as TextEncoder writes it, which toBinary uses: a lone surrogate becomes U+FFFD.
  const written = i === length ? length : UTF8.encodeInto(value, buf.subarray(start)).written;
  w.pos = start + written;
  join(w, start, prefix);
}

/** Writes the length of the body from `start` into the `reserved` bytes before it. */
function join(w: Writer, start: number, reserved: number): void {
  const length = w.pos - start;
  const size = varintSize(length);
  if (size !== reserved) {
    reserve(w, size - reserved);
    w.buf.copyWithin(start - reserved + size, start, w.pos);
    w.pos += size - reserved;
  }
  let pos = start - reserved;
  let rest = length;
  for (; rest > 0x7f; rest = Math.floor(rest / 0x80)) w.buf[pos++] = (rest % 0x80) | 0x80;
  w.buf[pos] = rest;
}

function writeVarint(w: Writer, tag: number, value: number): void {
  const { buf } = w;
  buf[w.pos++] = tag;
  let rest = value;
  for (; rest > 0x7f; rest = Math.floor(rest / 0x80)) buf[w.pos++] = (rest % 0x80) | 0x80;
  buf[w.pos++] = rest;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest > 0x7f; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** Makes room for `bytes` more, keeping what is written. */
function reserve(w: Writer, bytes: number): void {
  if (w.pos + bytes <= w.buf.length) return;
  let length = w.buf.length * 2;
  while (length < w.pos + bytes) length *= 2;
  const grown = new Uint8Array(length);
  grown.set(w.buf.subarray(0, w.pos));
  w.buf = grown;
}

function isSafeUint(value: bigint): boolean {
  return typeof value === "bigint" && value >= 0n && value <= MAX_SAFE;
}

function isUint31(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= INT32_MAX;
}
