import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { invalidArgument, quote } from "./errors.js";
import { type FieldPath, protoName, setAtPath } from "./field-path.js";
import { isTextMessage, type LeafType, leafType } from "./text-values.js";

/** A request field that a query parameter may set, named by its dotted proto path. */
export interface QueryParam {
  readonly name: string;
  readonly path: FieldPath;
  readonly type: LeafType;
  readonly repeated: boolean;
}

/** The query parameters of one route, looked up by proto or JSON name. */
export interface QueryTable {
  readonly params: readonly QueryParam[];
  readonly byName: ReadonlyMap<string, QueryParam>;
}

// Nested messages are flattened into dotted names down to this depth (and never into a cycle).
const maxDepth = 4;

/**
 * Lists every field of `message` a query parameter can set: scalars, enums, their repeated
 * forms and string-like well-known types, reached through singular message fields. Paths in
 * `bound` (taken by the path or the body) and everything below them are left out.
 */
export function compileQuery(message: DescMessage, bound: ReadonlySet<string>): QueryTable {
  const params: QueryParam[] = [];
  collect(message, [], bound, new Set([message.typeName]), params);
  const byName = new Map<string, QueryParam>();
  for (const param of params) {
    byName.set(param.name, param);
    byName.set(param.path.map((field) => field.jsonName).join("."), param);
  }
  return { params, byName };
}

function collect(
  message: DescMessage,
  prefix: readonly DescField[],
  bound: ReadonlySet<string>,
  visiting: Set<string>,
  into: QueryParam[],
): void {
  for (const field of message.fields) {
    const path = [...prefix, field];
    const name = protoName(path);
    if (bound.has(name)) continue;
    if (field.fieldKind === "message" && !isTextMessage(field.message)) {
      const type = field.message.typeName;
      if (path.length >= maxDepth || visiting.has(type)) continue;
      visiting.add(type);
      collect(field.message, path, bound, visiting, into);
      visiting.delete(type);
      continue;
    }
    const type = leafType(field);
    if (type) into.push({ name, path, type, repeated: field.fieldKind === "list" });
  }
}

/**
 * Applies a raw query string (`page_size=10&tag=a&tag=b`) to a request message. Throws
 * InvalidArgument naming the parameter for an unknown name, a bad value, a singular field given
 * twice or broken percent-encoding.
 */
export function applyQuery(target: ReflectMessage, table: QueryTable, query: string): void {
  const seen: string[] = [];
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const text = eq < 0 ? "" : decode(pair.slice(eq + 1));
    const param = table.byName.get(key);
    if (!param) throw invalidArgument(`unknown query parameter ${quote(key)}`);
    if (!param.repeated) {
      if (seen.includes(param.name))
        throw invalidArgument(`query parameter ${quote(key)} given twice`);
      seen.push(param.name);
    }
    const value = param.type.parse(text);
    if (value === undefined) {
      throw invalidArgument(
        `invalid value for query parameter ${quote(key)}: expected ${param.type.expected}, got ${quote(text)}`,
      );
    }
    setAtPath(target, param.path, value);
  }
}

function decode(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    throw invalidArgument(`malformed percent-encoding in query string near ${quote(text)}`);
  }
}
