import { type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  GetProductResponseSchema,
  type Product,
  ProductSchema,
} from "#gen/shop/product/v1/product_pb";
import type { BinaryEncoder } from "#shared/fast-grpc/binary-encoder";

/**
 * GetProductResponse in protobuf binary, written directly: the bytes protobuf-es 2.17's
 * `toBinary(GetProductResponseSchema, message)` writes (fields in number order, proto3 zero values
 * left out, messages length-delimited), sized first and written into one array of that size.
 * toBinary grows a 128-byte buffer to 256 for a product and copies it out; the gRPC path then
 * copies it again behind its envelope header. Here the gRPC path gets the envelope's room in
 * front (`encodeAfter`): one array per answer instead of four.
 *
 * It writes only what `toProductMessage` makes — plain message objects, ids and times from 0 to
 * 2^53 (a stored id, a time after 1970), non-negative stock, text fields that are strings, no
 * unknown fields — and answers undefined for anything else, which the caller then gives to
 * toBinary. `get-wire.test.ts` compares the two byte for byte.
 */
export const getProductEncoder: BinaryEncoder<typeof GetProductResponseSchema> = {
  schema: GetProductResponseSchema,
  encode: (message) => encodeAfter(message, 0),
  encodeAfter,
};

/**
 * The fields written below, by number, name and type. A proto change that adds, drops or
 * retypes one stops the product service when it loads this file, rather than leaving the field
 * out of every answer while the tests' products happen not to fill it.
 */
const WRITTEN: ReadonlyArray<[DescMessage, string]> = [
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
      `get-wire.ts writes ${schema.typeName} as {${expected}}, the proto now says {${actual.join(", ")}}: update the encoder`,
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

const INT32_MAX = 0x7fff_ffff;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UTF8 = new TextEncoder();

function encodeAfter(
  message: { $typeName: string; product?: Product | undefined },
  headroom: number,
): Uint8Array<ArrayBuffer> | undefined {
  if (!plain(message, GetProductResponseSchema.typeName)) return undefined;
  const { product } = message;
  if (product === undefined) return new Uint8Array(headroom);
  if (!writable(product)) return undefined;
  const size = productSize(product);
  const w: Writer = { buf: new Uint8Array(headroom + 1 + varintSize(size) + size), pos: headroom };
  writeVarint(w, 0x0a, size);
  writeProduct(w, product);
  return w.buf;
}

/** A message object as `create` makes it for a proto3 message: own fields, nothing unknown. */
function plain(message: object, typeName: string): boolean {
  const { $typeName, $unknown } = message as { $typeName?: string; $unknown?: unknown };
  return (
    Object.getPrototypeOf(message) === Object.prototype &&
    $typeName === typeName &&
    $unknown === undefined
  );
}

function writable(p: Product): boolean {
  return (
    plain(p, ProductSchema.typeName) &&
    isSafeUint(p.id) &&
    isUint31(p.stockQuantity) &&
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

function productSize(p: Product): number {
  return (
    (p.id === 0n ? 0 : 1 + varintSize(Number(p.id))) +
    stringSize(p.name) +
    stringSize(p.description) +
    stringSize(p.price) +
    (p.stockQuantity === 0 ? 0 : 1 + varintSize(p.stockQuantity)) +
    stringSize(p.category) +
    stringSize(p.imageUrl) +
    (p.createdAt === undefined ? 0 : 1 + lengthDelimited(timestampSize(p.createdAt))) +
    (p.updatedAt === undefined ? 0 : 1 + lengthDelimited(timestampSize(p.updatedAt)))
  );
}

function writeProduct(w: Writer, p: Product): void {
  if (p.id !== 0n) writeVarint(w, 0x08, Number(p.id));
  writeString(w, 0x12, p.name);
  writeString(w, 0x1a, p.description);
  writeString(w, 0x22, p.price);
  if (p.stockQuantity !== 0) writeVarint(w, 0x28, p.stockQuantity);
  writeString(w, 0x32, p.category);
  writeString(w, 0x3a, p.imageUrl);
  if (p.createdAt !== undefined) writeTimestamp(w, 0x42, p.createdAt);
  if (p.updatedAt !== undefined) writeTimestamp(w, 0x4a, p.updatedAt);
}

function timestampSize(t: Timestamp): number {
  const seconds = Number(t.seconds);
  return (
    (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (t.nanos === 0 ? 0 : 1 + varintSize(t.nanos))
  );
}

function writeTimestamp(w: Writer, tag: number, t: Timestamp): void {
  const seconds = Number(t.seconds);
  writeVarint(w, tag, timestampSize(t));
  if (seconds !== 0) writeVarint(w, 0x08, seconds);
  if (t.nanos !== 0) writeVarint(w, 0x10, t.nanos);
}

/** A string field's size with its tag ("" is left out): UTF-8 as TextEncoder writes it. */
function stringSize(value: string): number {
  // A lone surrogate is 3 bytes here, as the U+FFFD TextEncoder writes for it.
  return value === "" ? 0 : 1 + lengthDelimited(Buffer.byteLength(value, "utf8"));
}

/** A string field as toBinary writes it: ASCII byte by byte, else UTF-8. */
function writeString(w: Writer, tag: number, value: string): void {
  if (value === "") return;
  const { buf } = w;
  let i = 0;
  for (; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) break;
  if (i === value.length) {
    writeVarint(w, tag, value.length);
    for (let j = 0; j < value.length; j++) buf[w.pos++] = value.charCodeAt(j);
  } else {
    writeVarint(w, tag, Buffer.byteLength(value, "utf8"));
    w.pos += UTF8.encodeInto(value, buf.subarray(w.pos)).written;
  }
}

function writeVarint(w: Writer, tag: number, value: number): void {
  const { buf } = w;
  buf[w.pos++] = tag;
  let rest = value;
  for (; rest > 0x7f; rest = Math.floor(rest / 0x80)) buf[w.pos++] = (rest % 0x80) | 0x80;
  buf[w.pos++] = rest;
}

/** A length-delimited body's size with its length prefix. */
function lengthDelimited(size: number): number {
  return varintSize(size) + size;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest > 0x7f; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

function isSafeUint(value: bigint): boolean {
  return typeof value === "bigint" && value >= 0n && value <= MAX_SAFE;
}

function isUint31(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= INT32_MAX;
}
