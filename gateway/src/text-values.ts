import {
  create,
  type DescEnum,
  type DescField,
  type DescMessage,
  fromJson,
  ScalarType,
} from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/**
 * Converts one path or query text value to what `ReflectMessage.set` expects for a field
 * (bigint for 64-bit integers, a ReflectMessage for well-known message types); returns
 * `undefined` when the text is not a valid value of that type.
 */
export type TextParser = (text: string) => unknown;

/** A parser plus a short name of the type it expects, for error messages. */
export interface LeafType {
  readonly parse: TextParser;
  readonly expected: string;
}

const int = /^-?\d+$/;
const uint = /^\d+$/;
const decimal = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const base64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const stringMessages = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
]);

/** The leaf type of a singular or repeated scalar, enum or string-like well-known message field. */
export function leafType(field: DescField): LeafType | undefined {
  if (field.fieldKind === "map") return undefined;
  if (field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")) {
    return scalarType(field.scalar);
  }
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) {
    return enumType(field.enum);
  }
  const message = field.fieldKind === "message" ? field.message : field.message;
  return message ? messageType(message) : undefined;
}

/** True for a message type the gateway reads from one text value rather than from sub-fields. */
export function isTextMessage(message: DescMessage): boolean {
  return stringMessages.has(message.typeName) || isWrapperDesc(message);
}

function intRange(min: number, max: number): TextParser {
  return (text) => {
    if (!int.test(text)) return undefined;
    const value = Number(text);
    return value >= min && value <= max ? value : undefined;
  };
}

function bigRange(pattern: RegExp, min: bigint, max: bigint): TextParser {
  return (text) => {
    if (!pattern.test(text) || text.length > 21) return undefined;
    const value = BigInt(text);
    return value >= min && value <= max ? value : undefined;
  };
}

function floating(max: number): TextParser {
  return (text) => {
    if (text === "NaN") return Number.NaN;
    if (text === "Infinity" || text === "-Infinity") return Number(text);
    if (!decimal.test(text)) return undefined;
    const value = Number(text);
    return Math.abs(value) <= max ? value : undefined;
  };
}

const scalarTypes: Record<ScalarType, LeafType> = {
  [ScalarType.STRING]: { expected: "string", parse: (text) => text },
  [ScalarType.BOOL]: {
    expected: "bool (true or false)",
    parse: (text) =>
      text === "true" || text === "1" ? true : text === "false" || text === "0" ? false : undefined,
  },
  [ScalarType.INT32]: { expected: "int32", parse: intRange(-(2 ** 31), 2 ** 31 - 1) },
  [ScalarType.SINT32]: { expected: "int32", parse: intRange(-(2 ** 31), 2 ** 31 - 1) },
  [ScalarType.SFIXED32]: { expected: "int32", parse: intRange(-(2 ** 31), 2 ** 31 - 1) },
  [ScalarType.UINT32]: { expected: "uint32", parse: intRange(0, 2 ** 32 - 1) },
  [ScalarType.FIXED32]: { expected: "uint32", parse: intRange(0, 2 ** 32 - 1) },
  [ScalarType.INT64]: { expected: "int64", parse: bigRange(int, -(2n ** 63n), 2n ** 63n - 1n) },
  [ScalarType.SINT64]: { expected: "int64", parse: bigRange(int, -(2n ** 63n), 2n ** 63n - 1n) },
  [ScalarType.SFIXED64]: { expected: "int64", parse: bigRange(int, -(2n ** 63n), 2n ** 63n - 1n) },
  [ScalarType.UINT64]: { expected: "uint64", parse: bigRange(uint, 0n, 2n ** 64n - 1n) },
  [ScalarType.FIXED64]: { expected: "uint64", parse: bigRange(uint, 0n, 2n ** 64n - 1n) },
  [ScalarType.DOUBLE]: { expected: "double", parse: floating(Number.MAX_VALUE) },
  [ScalarType.FLOAT]: { expected: "float", parse: floating(3.4028234663852886e38) },
  [ScalarType.BYTES]: {
    expected: "base64 bytes",
    parse: (text) => (base64.test(text) ? base64Decode(text) : undefined),
  },
};

function scalarType(type: ScalarType): LeafType {
  return scalarTypes[type];
}

function enumType(desc: DescEnum): LeafType {
  const byName = new Map(desc.values.map((value) => [value.name, value.number]));
  const numeric = intRange(-(2 ** 31), 2 ** 31 - 1);
  const names = desc.values.map((value) => value.name).join(", ");
  return { expected: `one of ${names}`, parse: (text) => byName.get(text) ?? numeric(text) };
}

function messageType(desc: DescMessage): LeafType | undefined {
  if (isWrapperDesc(desc)) {
    const inner = scalarType(desc.fields[0].scalar);
    return {
      expected: inner.expected,
      parse: (text) => {
        const value = inner.parse(text);
        return value === undefined ? undefined : reflect(desc, create(desc, { value } as never));
      },
    };
  }
  if (!stringMessages.has(desc.typeName)) return undefined;
  return {
    expected: desc.typeName,
    parse: (text) => {
      try {
        return reflect(desc, fromJson(desc, text));
      } catch {
        return undefined;
      }
    },
  };
}
