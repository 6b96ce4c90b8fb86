import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { protoComments } from "#gen/shop/comments";

/** A JSON Schema (OpenAPI 3.1 dialect) as plain data. */
export type JsonSchema = { readonly [key: string]: unknown };

/** Schemas for messages and fields under the proto JSON mapping, sharing one components map. */
export interface SchemaSet {
  /** `{ $ref }` to the message's component, defining it (and what it reaches) on first use. */
  message(desc: DescMessage): JsonSchema;
  /** The schema of one field's JSON value. */
  field(field: DescField): JsonSchema;
  /** Every component defined so far, keyed by full message name. */
  readonly components: Record<string, JsonSchema>;
}

const int32 = { type: "integer", format: "int32" };
const int64 = { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
const uint64 = { type: "string", format: "uint64", pattern: "^[0-9]+$" };
const scalars: Record<ScalarType, JsonSchema> = {
  [ScalarType.STRING]: { type: "string" },
  [ScalarType.BYTES]: { type: "string", contentEncoding: "base64" },
  [ScalarType.BOOL]: { type: "boolean" },
  [ScalarType.INT32]: int32,
  [ScalarType.SINT32]: int32,
  [ScalarType.SFIXED32]: int32,
  [ScalarType.UINT32]: { type: "integer", format: "uint32", minimum: 0 },
  [ScalarType.FIXED32]: { type: "integer", format: "uint32", minimum: 0 },
  [ScalarType.INT64]: int64,
  [ScalarType.SINT64]: int64,
  [ScalarType.SFIXED64]: int64,
  [ScalarType.UINT64]: uint64,
  [ScalarType.FIXED64]: uint64,
  [ScalarType.DOUBLE]: { type: "number", format: "double" },
  [ScalarType.FLOAT]: { type: "number", format: "float" },
};

// Well-known types whose proto JSON form is not an object of their fields.
const wellKnown: Record<string, JsonSchema> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" },
  "google.protobuf.FieldMask": { type: "string" },
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array", items: {} },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string" } },
    required: ["@type"],
  },
};

/**
 * Creates a schema set. Messages outside `inputTypes` only ever leave the gateway, which emits
 * every implicit-presence field, so their schemas list those fields as required.
 */
export function createSchemaSet(inputTypes: ReadonlySet<string>): SchemaSet {
  const components: Record<string, JsonSchema> = {};
  const set: SchemaSet = {
    components,
    message(desc) {
      const special = wellKnown[desc.typeName];
      if (special) return special;
      if (isWrapperDesc(desc)) return nullable(scalars[desc.fields[0].scalar]);
      if (!(desc.typeName in components)) {
        components[desc.typeName] = {}; // placeholder first, so recursive types terminate
        components[desc.typeName] = objectSchema(desc, set, !inputTypes.has(desc.typeName));
      }
      return { $ref: `#/components/schemas/${desc.typeName}` };
    },
    field(field) {
      switch (field.fieldKind) {
        case "scalar":
          return scalars[field.scalar];
        case "enum":
          return enumSchema(field.enum);
        case "message":
          return set.message(field.message);
        case "list":
          return { type: "array", items: listItem(field, set) };
        case "map":
          return { type: "object", additionalProperties: mapValue(field, set) };
      }
    },
  };
  return set;
}

function objectSchema(desc: DescMessage, set: SchemaSet, outputOnly: boolean): JsonSchema {
  const properties = Object.fromEntries(
    desc.fields.map((field) => [
      field.jsonName,
      described(set.field(field), protoComments[`${desc.typeName}.${field.name}`]),
    ]),
  );
  const required = outputOnly
    ? desc.fields.filter(alwaysEmitted).map((field) => field.jsonName)
    : [];
  const schema = { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
  return described(schema, protoComments[desc.typeName]);
}

/** The schema with the proto comment as its description (OpenAPI 3.1 allows one beside $ref). */
function described(schema: JsonSchema, comment: string | undefined): JsonSchema {
  return comment === undefined ? schema : { description: comment, ...schema };
}

function alwaysEmitted(field: DescField): boolean {
  if (field.fieldKind === "list" || field.fieldKind === "map") return true;
  return (field.fieldKind === "scalar" || field.fieldKind === "enum") && field.presence === 2;
}

function listItem(field: DescField & { fieldKind: "list" }, set: SchemaSet): JsonSchema {
  if (field.listKind === "scalar") return scalars[field.scalar];
  if (field.listKind === "enum") return enumSchema(field.enum);
  return set.message(field.message);
}

function mapValue(field: DescField & { fieldKind: "map" }, set: SchemaSet): JsonSchema {
  if (field.mapKind === "scalar") return scalars[field.scalar];
  if (field.mapKind === "enum") return enumSchema(field.enum);
  return set.message(field.message);
}

function enumSchema(desc: DescEnum): JsonSchema {
  if (desc.typeName === "google.protobuf.NullValue") return { type: "null" };
  return { type: "string", enum: desc.values.map((value) => value.name) };
}

function nullable(schema: JsonSchema): JsonSchema {
  return { ...schema, type: [schema.type, "null"] };
}

/** Adds the names of `desc` and every message type reachable from its fields to `into`. */
export function collectMessageTypes(desc: DescMessage, into: Set<string>): void {
  if (into.has(desc.typeName)) return;
  into.add(desc.typeName);
  for (const field of desc.fields) if (field.message) collectMessageTypes(field.message, into);
}
