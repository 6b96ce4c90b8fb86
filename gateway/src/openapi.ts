import type { DescField } from "@bufbuild/protobuf";
import { codeNames } from "./errors.js";
import {
  collectMessageTypes,
  createSchemaSet,
  type JsonSchema,
  type SchemaSet,
} from "./json-schema.js";
import { openApiPath } from "./path-template.js";
import type { Transcoder } from "./transcode.js";

const errorRef = { $ref: "#/components/schemas/connect.error" };
const errorResponse = {
  description: "An error in the Connect error shape; the HTTP status follows the Connect code.",
  content: { "application/json": { schema: errorRef } },
};
const errorSchema: JsonSchema = {
  type: "object",
  required: ["code", "message", "details"],
  properties: {
    code: { type: "string", enum: codeNames },
    message: { type: "string" },
    details: {
      type: "array",
      items: {
        type: "object",
        properties: { type: { type: "string" }, value: { type: "string" } },
      },
    },
  },
};

/**
 * An OpenAPI 3.1 document for the routes, derived from the same annotations and message
 * descriptors the gateway transcodes with, in the proto JSON mapping.
 */
export function buildOpenApi(transcoders: readonly Transcoder[], version: string): JsonSchema {
  const inputTypes = new Set<string>();
  for (const { route } of transcoders) collectMessageTypes(route.rpc.input, inputTypes);
  const schemas = createSchemaSet(inputTypes);
  const paths: Record<string, Record<string, JsonSchema>> = {
    "/health": { get: { operationId: "health", responses: { "200": { description: "Alive" } } } },
  };
  const operationIds = new Map<string, number>();
  for (const transcoder of transcoders) {
    const { route } = transcoder;
    const base = `${route.rpc.parent.name}_${route.rpc.name}`;
    const seen = operationIds.get(base) ?? 0;
    operationIds.set(base, seen + 1);
    const key = openApiPath(route.template);
    const item = paths[key] ?? {};
    paths[key] = item;
    item[route.httpMethod.toLowerCase()] = operation(
      transcoder,
      schemas,
      seen ? `${base}_${seen}` : base,
    );
  }
  return {
    openapi: "3.1.0",
    info: { title: "connect-shop REST API", version },
    paths,
    components: { schemas: { ...schemas.components, "connect.error": errorSchema } },
  };
}

function operation(transcoder: Transcoder, schemas: SchemaSet, operationId: string): JsonSchema {
  const { route, bodyField, responseField } = transcoder;
  const pathParams = transcoder.pathParams.map((param) => ({
    name: param.variable.fieldPath,
    in: "path",
    required: true,
    schema: schemas.field(param.path.at(-1) as DescField),
  }));
  const queryParams = (transcoder.query?.params ?? []).map((param) => ({
    name: param.name,
    in: "query",
    required: false,
    schema: schemas.field(param.path.at(-1) as DescField),
  }));
  const headerParams = transcoder.headerParams.map((param) => ({
    name: param.header.replace(/(^|-)[a-z]/g, (letter) => letter.toUpperCase()),
    in: "header",
    required: false,
    schema: { type: "string" },
  }));
  const body =
    route.body === "*" ? schemas.message(route.rpc.input) : bodyField && schemas.field(bodyField);
  const result = responseField ? schemas.field(responseField) : schemas.message(route.rpc.output);
  return {
    operationId,
    tags: [route.rpc.parent.name],
    parameters: [...pathParams, ...queryParams, ...headerParams],
    ...(body ? { requestBody: { content: { "application/json": { schema: body } } } } : {}),
    responses: {
      [String(route.successStatus)]: route.streaming
        ? {
            description:
              'A stream of newline-delimited JSON: one {"result": …} per message, and ' +
              '{"error": …} as the last line if it fails midway',
            content: {
              "application/x-ndjson": {
                schema: { type: "object", properties: { result: result } },
              },
            },
          }
        : {
            description: route.successStatus === 201 ? "Created" : "OK",
            content: { "application/json": { schema: result } },
          },
      default: errorResponse,
    },
  };
}
