import { Audience } from "#gen/shop/auth/v1/auth_pb";
import { protoComments } from "#gen/shop/comments";
import type { JsonSchema } from "./json-schema.js";
import { accessOf } from "./route-class.js";
import type { Transcoder } from "./transcode.js";

/**
 * What the edge adds to each operation of the OpenAPI document — who may call it, the errors
 * it can answer, its rate-limit headers — derived from the access rule and the route's shape,
 * plus the texts of the proto comments (gen/shop/comments.ts).
 */

const errorRef = { $ref: "#/components/schemas/connect.error" };

/** Every error reply the gateway can give, by HTTP status: the Connect codes behind it and why. */
const errors: Record<string, { readonly codes: readonly string[]; readonly why: string }> = {
  "400": {
    codes: ["invalid_argument", "failed_precondition", "out_of_range"],
    why: "Malformed input (path, query, header or body), or a business rule refused the request.",
  },
  "401": { codes: ["unauthenticated"], why: "No bearer token, or one that is not valid." },
  "403": { codes: ["permission_denied"], why: "The token's subject or role may not do this." },
  "404": { codes: ["not_found"], why: "The resource named in the request does not exist." },
  "409": { codes: ["already_exists", "aborted"], why: "A conflicting change won, or it exists." },
  "413": { codes: ["resource_exhausted"], why: "The request body is larger than the limit." },
  "415": { codes: ["invalid_argument"], why: "The request body is not application/json." },
  "429": { codes: ["resource_exhausted"], why: "Over the caller's rate limit: see Retry-After." },
  "500": { codes: ["internal", "unknown", "data_loss"], why: "A bug; the cause is logged." },
  "503": {
    codes: ["unavailable"],
    why: "A service behind the gateway is unavailable (or, in refuse mode, the rate limiter's store).",
  },
  "504": {
    codes: ["deadline_exceeded"],
    why: "A service behind the gateway did not answer in time.",
  },
};

const limitHeaders = {
  "RateLimit-Limit": { $ref: "#/components/headers/RateLimit-Limit" },
  "RateLimit-Remaining": { $ref: "#/components/headers/RateLimit-Remaining" },
  "RateLimit-Reset": { $ref: "#/components/headers/RateLimit-Reset" },
};

const integerHeader = (description: string) => ({ description, schema: { type: "integer" } });

/** Components the edge's references point at: security scheme, responses, headers. */
export function edgeComponents(limits: "on" | "off"): JsonSchema {
  const statuses = Object.entries(errors).filter(([status]) => limits === "on" || status !== "429");
  const responses = Object.fromEntries(
    statuses.map(([status, { codes, why }]) => [
      `error.${status}`,
      {
        description: `${why} Connect code ${codes.join(", ")}.`,
        ...(status === "429"
          ? {
              headers: {
                "Retry-After": { $ref: "#/components/headers/Retry-After" },
                ...limitHeaders,
              },
            }
          : {}),
        content: {
          "application/json": {
            schema: { allOf: [errorRef, { properties: { code: { enum: codes } } }] },
          },
        },
      },
    ]),
  );
  return {
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description: "A JWT whose `sub` is the user; admin operations need the admin role.",
      },
    },
    responses,
    ...(limits === "on"
      ? {
          headers: {
            "RateLimit-Limit": integerHeader(
              "Requests allowed per window for this caller and class.",
            ),
            "RateLimit-Remaining": integerHeader("Requests left in the current window."),
            "RateLimit-Reset": integerHeader("Seconds until the current window ends."),
            "Retry-After": integerHeader("Seconds to wait before trying again."),
          },
        }
      : {}),
  };
}

/**
 * `security`, `summary`, `description` and the error `responses` of one operation. PUBLIC needs
 * no token; every other audience a bearer token (and can then be refused: 401, 403). 400, 500,
 * 503 and 504 can answer any call; 404 one that names a resource (a path variable, not a list)
 * or whose comment says NotFound; 409 a change; 413 and 415 one with a body; 429 any, while
 * limits are on.
 */
export function edgeOfOperation(transcoder: Transcoder, limits: "on" | "off"): JsonSchema {
  const { route } = transcoder;
  const rpcName = `${route.rpc.parent.typeName}.${route.rpc.name}`;
  const comment = protoComments[rpcName] ?? "";
  const { audience } = accessOf(route.rpc);
  const isPublic = audience === Audience.PUBLIC;
  const names = route.path.variables;
  const namesResource = names.length > 0 && !route.rpc.name.startsWith("List");
  const statuses = [
    "400",
    ...(isPublic ? [] : ["401", "403"]),
    ...(namesResource || comment.includes("NotFound") ? ["404"] : []),
    ...(route.httpMethod === "GET" ? [] : ["409"]),
    ...(route.body ? ["413", "415"] : []),
    ...(limits === "on" ? ["429"] : []),
    "500",
    "503",
    "504",
  ];
  return {
    summary: summaryOf(comment) || route.rpc.name,
    description: [comment, whoMayCall(audience, accessOf(route.rpc).ownerField)]
      .filter(Boolean)
      .join("\n\n"),
    security: isPublic ? [] : [{ bearer: [] }],
    errorResponses: Object.fromEntries(
      statuses.map((status) => [status, { $ref: `#/components/responses/error.${status}` }]),
    ),
  };
}

/** The headers a successful answer carries. */
export function successHeaders(limits: "on" | "off"): JsonSchema | undefined {
  return limits === "on" ? limitHeaders : undefined;
}

/** The description of a service's tag: its proto comment. */
export function serviceDescription(typeName: string): string | undefined {
  return protoComments[typeName];
}

/** The comment's first sentence, without the final stop. */
function summaryOf(comment: string): string {
  const [first = ""] = comment.split(/(?<=[.;])\s/);
  return first.replace(/[.;]$/, "");
}

function whoMayCall(audience: Audience, ownerField: string): string {
  switch (audience) {
    case Audience.PUBLIC:
      return "Anyone may call this, without a token.";
    case Audience.OWNER:
      return ownerField
        ? `Only the user named by \`${ownerField}\` (the token's subject) may call this.`
        : "Only the user who owns the resource may call this; the service checks it on the stored record.";
    case Audience.ADMIN:
      return "Needs a token with the admin role.";
    case Audience.SERVICE:
      return "Only shop services may call this; no end-user token is accepted.";
    default:
      return "No access rule is declared: every call is refused.";
  }
}
