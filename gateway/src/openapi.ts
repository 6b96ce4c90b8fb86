import type { DescField } from "@bufbuild/protobuf";
import { codeNames } from "./errors.js";
import {
  collectMessageTypes,
  createSchemaSet,
  type JsonSchema,
  type SchemaSet,
} from "./json-schema.js";
import {
  edgeComponents,
  edgeOfOperation,
  serviceDescription,
  successHeaders,
} from "./openapi-edge.js";
import { openApiPath } from "./path-template.js";
import type { Transcoder } from "./transcode.js";

const errorSchema: JsonSchema = {
  description: "The Connect error shape; the HTTP status follows the Connect code (SPEC §5).",
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
 * descriptors the gateway transcodes with, in the proto JSON mapping; security, errors and
 * texts from the access rules and proto comments (openapi-edge.ts). `limits` says whether this
 * gateway rate-limits (429 and the RateLimit headers are documented only then).
 */
export function buildOpenApi(
  transcoders: readonly Transcoder[],
  version: string,
  edge: { readonly limits: "on" | "off" } = { limits: "on" },
): JsonSchema {
  const inputTypes = new Set<string>();
  for (const { route } of transcoders) collectMessageTypes(route.rpc.input, inputTypes);
  const schemas = createSchemaSet(inputTypes);
  const paths: Record<string, Record<string, JsonSchema>> = { "/health": { get: health } };
  const operationIds = new Map<string, number>();
  const tags = new Map<string, string | undefined>([["gateway", "The gateway's own endpoints."]]);
  for (const transcoder of transcoders) {
    const { route } = transcoder;
    const base = `${route.rpc.parent.name}_${route.rpc.name}`;
    const seen = operationIds.get(base) ?? 0;
    operationIds.set(base, seen + 1);
    tags.set(route.rpc.parent.name, serviceDescription(route.rpc.parent.typeName));
    const key = openApiPath(route.template);
    const item = paths[key] ?? {};
    paths[key] = item;
    item[route.httpMethod.toLowerCase()] = operation(
      transcoder,
      schemas,
      seen ? `${base}_${seen}` : base,
      edge.limits,
    );
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "connect-shop REST API",
      version,
      description:
        "REST paths of the shop's gRPC services, transcoded by the gateway from their " +
        "google.api.http annotations. Bodies use the proto JSON mapping; every error uses the " +
        "Connect error shape.",
    },
    servers: [{ url: "/", description: "The gateway that serves this document." }],
    security: [{ bearer: [] }],
    tags: [...tags].map(([name, description]) => (description ? { name, description } : { name })),
    paths,
    components: {
      schemas: { ...schemas.components, "connect.error": errorSchema },
      ...edgeComponents(edge.limits),
    },
  };
}

const health: JsonSchema = {
  operationId: "health",
  summary: "Liveness of the gateway",
  tags: ["gateway"],
  security: [],
  responses: {
    "200": {
      description: "Alive",
      content: {
        "application/json": {
          schema: { type: "object", properties: { status: { const: "ok" } } },
        },
      },
    },
  },
};

function operation(
  transcoder: Transcoder,
  schemas: SchemaSet,
  operationId: string,
  limits: "on" | "off",
): JsonSchema {
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
  const { errorResponses, ...edge } = edgeOfOperation(transcoder, limits);
  const headers = successHeaders(limits);
  return {
    operationId,
    ...edge,
    tags: [route.rpc.parent.name],
    parameters: [...pathParams, ...queryParams, ...headerParams],
    ...(body ? { requestBody: { content: { "application/json": { schema: body } } } } : {}),
    responses: {
      [String(route.successStatus)]: route.streaming
        ? {
            description:
              'A stream of newline-delimited JSON: one {"result": …} per message, and ' +
              '{"error": …} as the last line if it fails midway',
            ...(headers ? { headers } : {}),
            content: {
              "application/x-ndjson": {
                schema: { type: "object", properties: { result: result } },
              },
            },
          }
        : {
            description: route.successStatus === 201 ? "Created" : "OK",
            ...(headers ? { headers } : {}),
            content: { "application/json": { schema: result } },
          },
      ...(errorResponses as object),
    },
  };
}
