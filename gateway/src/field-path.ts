import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";

/** A field reached from a request message through zero or more singular message fields. */
export type FieldPath = readonly DescField[];

/**
 * Resolves `a.b_c` (proto names or lowerCamelCase JSON names) against a message; throws when a
 * part is missing or a non-final part is not a singular message field.
 */
export function resolveFieldPath(message: DescMessage, dotted: string): FieldPath {
  const path: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const name of dotted.split(".")) {
    const field: DescField | undefined = current?.fields.find(
      (candidate) => candidate.name === name || candidate.jsonName === name,
    );
    if (!current || !field) throw new Error(`${message.typeName} has no field "${dotted}"`);
    path.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return path;
}

/** The dotted proto name of a field path, e.g. `filter.min_price`. */
export function protoName(path: FieldPath): string {
  return path.map((field) => field.name).join(".");
}

/** The dotted JSON name of a field path, e.g. `filter.minPrice`. */
export function jsonName(path: FieldPath): string {
  return path.map((field) => field.jsonName).join(".");
}

/**
 * Sets (or, for a repeated leaf, appends) a value at a field path, creating the intermediate
 * messages on the way.
 */
export function setAtPath(root: ReflectMessage, path: FieldPath, value: unknown): void {
  let target = root;
  for (let i = 0; i < path.length - 1; i++) {
    const field = path[i] as DescField & { fieldKind: "message" };
    const next = target.get(field);
    // get() hands out a detached message for an unset field; attach it so writes land.
    if (!target.isSet(field)) target.set(field, next);
    target = next;
  }
  const leaf = path[path.length - 1] as DescField;
  if (leaf.fieldKind === "list") target.get(leaf).add(value);
  else target.set(leaf, value);
}
