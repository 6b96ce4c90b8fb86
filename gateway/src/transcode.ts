import {
  create,
  type DescField,
  type DescMessage,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  toJson,
} from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { invalidArgument, quote } from "./errors.js";
import { type FieldPath, protoName, resolveFieldPath, setAtPath } from "./field-path.js";
import { applyHeaderParams, compileHeaderParams, type HeaderParam } from "./header-params.js";
import type { Variable } from "./path-template.js";
import { applyQuery, compileQuery, type QueryTable } from "./query.js";
import type { Route } from "./routes.js";
import { type LeafType, leafType } from "./text-values.js";

/** A path variable compiled against the request message. */
export interface PathParam {
  readonly name: string;
  readonly path: FieldPath;
  readonly type: LeafType;
  readonly variable: Variable;
}

/** Converts between one route's REST request/response and its RPC's messages. */
export interface Transcoder {
  readonly route: Route;
  readonly pathParams: readonly PathParam[];
  /** Undefined when the whole request comes from the body (`body: "*"`). */
  readonly query: QueryTable | undefined;
  readonly bodyField: DescField | undefined;
  readonly responseField: DescField | undefined;
  /** Request headers that set a field (Idempotency-Key). */
  readonly headerParams: readonly HeaderParam[];
  /**
   * Builds the request: body first, then path variables (which win), then query parameters,
   * then bound headers. `body` is the parsed JSON, or undefined when none was sent. Throws
   * InvalidArgument.
   */
  decode(
    segments: readonly string[],
    query: string,
    body: JsonValue | undefined,
    headers?: Readonly<Record<string, string | string[] | undefined>>,
  ): Message;
  /** The response as proto JSON text, implicit fields included, `response_body` applied. */
  encode(output: Message): string;
}

const jsonWrite = { alwaysEmitImplicit: true } as const;

/**
 * Compiles a route's transcoding once at start-up. Throws when the annotation names a field the
 * messages lack, or binds a path variable to a field that can't come from one URL segment.
 */
export function compileTranscoder(route: Route): Transcoder {
  const { input, output } = route.rpc;
  const pathParams = route.path.variables.map((variable) => pathParam(input, variable, route));
  const bodyField =
    route.body && route.body !== "*" ? topField(input, route.body, route) : undefined;
  const responseField = route.responseBody
    ? topField(output, route.responseBody, route)
    : undefined;
  const bound = new Set(pathParams.map((param) => param.name));
  if (bodyField) bound.add(bodyField.name);
  const query = route.body === "*" ? undefined : compileQuery(input, bound);
  const readBody = bodyReader(input, route.body, bodyField);
  const headerParams = compileHeaderParams(input);
  return {
    route,
    pathParams,
    query,
    bodyField,
    responseField,
    headerParams,
    decode(segments, queryText, body, headers = {}) {
      const message = readBody(body);
      if (pathParams.length === 0 && queryText === "" && headerParams.length === 0) return message;
      const target = reflect(input, message);
      for (const param of pathParams) setAtPath(target, param.path, pathValue(param, segments));
      if (queryText !== "") {
        if (!query) throw invalidArgument(`${route.label} takes no query parameters`);
        applyQuery(target, query, queryText);
      }
      applyHeaderParams(target, headerParams, headers);
      return message;
    },
    encode: encoder(output, responseField),
  };
}

function encoder(output: DescMessage, responseField: DescField | undefined) {
  if (!responseField)
    return (message: Message) => JSON.stringify(toJson(output, message, jsonWrite));
  const name = responseField.jsonName;
  // An unset response_body message still answers with an object, so clients can rely on one.
  const fallback = defaultJson(responseField);
  if (isPlainMessageField(responseField)) {
    // The field's message alone, as toJson writes it inside the response (and for less: no
    // object for the response around it).
    const { localName, message: desc } = responseField;
    return (message: Message) => {
      const value = (message as unknown as Record<string, Message | undefined>)[localName];
      return JSON.stringify(value === undefined ? fallback : toJson(desc, value, jsonWrite));
    };
  }
  return (message: Message) => {
    const json = toJson(output, message, jsonWrite) as JsonObject;
    return JSON.stringify(json[name] ?? fallback);
  };
}

/**
 * A singular message field outside a oneof whose type has no JSON form of its own: toJson
 * writes its value as the message's own JSON, when set. (A well-known type's field may hold a
 * local form, e.g. a Struct field a plain object, which toJson converts first.)
 */
function isPlainMessageField(
  field: DescField,
): field is DescField & { fieldKind: "message"; message: DescMessage } {
  return (
    field.fieldKind === "message" &&
    field.oneof === undefined &&
    !field.message.typeName.startsWith("google.protobuf.")
  );
}

function bodyReader(input: DescMessage, body: string, field: DescField | undefined) {
  const parse = (json: JsonValue): Message => {
    try {
      return fromJson(input, json);
    } catch (error) {
      throw invalidArgument(`invalid request body: ${(error as Error).message.slice(0, 300)}`);
    }
  };
  if (body === "*") return (json: JsonValue | undefined) => parse(json === undefined ? {} : json);
  if (field) {
    return (json: JsonValue | undefined) =>
      json === undefined ? create(input) : parse({ [field.jsonName]: json });
  }
  return (_json: JsonValue | undefined) => create(input);
}

function pathParam(input: DescMessage, variable: Variable, route: Route): PathParam {
  const path = resolveFieldPath(input, variable.fieldPath);
  const leaf = path[path.length - 1] as DescField;
  const type = leafType(leaf);
  if (!type || leaf.fieldKind === "list") {
    throw new Error(`${route.label}: {${variable.fieldPath}} must be a singular scalar field`);
  }
  return { name: protoName(path), path, type, variable };
}

function pathValue(param: PathParam, segments: readonly string[]): unknown {
  const { start, end } = param.variable;
  const single = end === start + 1;
  const raw = single ? (segments[start] as string) : segments.slice(start, end).join("/");
  const text = decodePath(raw, single);
  const value = param.type.parse(text);
  if (value === undefined) {
    throw invalidArgument(
      `invalid value for path parameter ${quote(param.name)}: expected ${param.type.expected}, got ${quote(text)}`,
    );
  }
  return value;
}

/** Percent-decodes a path value; a multi-segment value keeps `%2F` so it stays one segment. */
function decodePath(raw: string, single: boolean): string {
  if (!raw.includes("%")) return raw;
  try {
    if (single) return decodeURIComponent(raw);
    return raw
      .split(/%2F/i)
      .map((part) => decodeURIComponent(part))
      .join("%2F");
  } catch {
    throw invalidArgument(`malformed percent-encoding in path near ${quote(raw)}`);
  }
}

function topField(message: DescMessage, name: string, route: Route): DescField {
  const field = message.fields.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`${route.label}: ${message.typeName} has no field "${name}"`);
  return field;
}

function defaultJson(field: DescField): JsonValue {
  if (field.fieldKind === "message") return toJson(field.message, create(field.message), jsonWrite);
  if (field.fieldKind === "list") return [];
  if (field.fieldKind === "map") return {};
  return null;
}
