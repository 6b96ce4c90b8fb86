import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { invalidArgument, quote } from "./errors.js";

/**
 * HTTP request headers that set a request field, by header name (lower case). REST clients send
 * an idempotency key as a header (the IETF Idempotency-Key draft); the RPC takes it as a field.
 */
const HEADER_FIELDS: Readonly<Record<string, string>> = {
  "idempotency-key": "idempotency_key",
};

/** A header bound to a top-level string field of one request message. */
export interface HeaderParam {
  /** Lower-case header name. */
  readonly header: string;
  readonly field: DescField & { fieldKind: "scalar" };
}

/** The header bindings that apply to `input`: those whose field it has, as a string. */
export function compileHeaderParams(input: DescMessage): HeaderParam[] {
  const params: HeaderParam[] = [];
  for (const [header, name] of Object.entries(HEADER_FIELDS)) {
    const field = input.fields.find((candidate) => candidate.name === name);
    if (field?.fieldKind === "scalar" && field.scalar === ScalarType.STRING)
      params.push({ header, field });
  }
  return params;
}

/**
 * Sets each bound field from its header when the request carries it. A body that names a
 * different value for the same field is InvalidArgument: the request is ambiguous.
 */
export function applyHeaderParams(
  target: ReflectMessage,
  params: readonly HeaderParam[],
  headers: Readonly<Record<string, string | string[] | undefined>>,
): void {
  for (const { header, field } of params) {
    const value = headers[header];
    if (value === undefined) continue;
    if (Array.isArray(value)) throw invalidArgument(`header ${header} must be sent once`);
    const current = target.get(field);
    if (current !== "" && current !== value) {
      throw invalidArgument(
        `header ${header} ${quote(value)} differs from field ${field.name} ${quote(String(current))}`,
      );
    }
    target.set(field, value);
  }
}
