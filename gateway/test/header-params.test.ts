import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PaymentService } from "#gen/shop/payment/v1/payment_pb";
import { buildOpenApi } from "../src/openapi.js";
import { deriveRoutes } from "../src/routes.js";
import { compileTranscoder } from "../src/transcode.js";

const transcoders = deriveRoutes([{ service: PaymentService, upstream: "payment" }]).map(
  compileTranscoder,
);
const create = transcoders.find(({ route }) => route.label === "POST /payments");
if (!create) throw new Error("no POST /payments route");
const decode = (body: object, headers: Record<string, string | string[]>) =>
  create.decode(["payments"], "", body as never, headers);

describe("the Idempotency-Key header", () => {
  it("sets the request's idempotency_key", () => {
    expect(decode({ user_id: "ann" }, { "idempotency-key": "k-1" })).toMatchObject({
      userId: "ann",
      idempotencyKey: "k-1",
    });
  });

  it("leaves the field from the body when the header is absent", () => {
    expect(decode({ idempotency_key: "k-2" }, {})).toMatchObject({ idempotencyKey: "k-2" });
  });

  it("accepts the same key in both places", () => {
    const request = decode({ idempotency_key: "k-3" }, { "idempotency-key": "k-3" });
    expect(request).toMatchObject({ idempotencyKey: "k-3" });
  });

  it.each([
    [{ idempotency_key: "k-4" }, { "idempotency-key": "other" }, "differs from field"],
    [{}, { "idempotency-key": ["a", "b"] }, "must be sent once"],
  ])("refuses an ambiguous request (%j, %j)", (body, headers, message) => {
    expect(() => decode(body, headers)).toThrow(ConnectError);
    expect(() => decode(body, headers)).toThrow(message);
  });

  it("applies only to requests that have the field", () => {
    const get = transcoders.find(({ route }) => route.label === "GET /payments/{id}");
    expect(get?.headerParams).toEqual([]);
    expect(create.headerParams.map((param) => param.header)).toEqual(["idempotency-key"]);
  });

  it("is documented as a header parameter in OpenAPI", () => {
    const doc = buildOpenApi(transcoders, "test") as {
      paths: Record<string, Record<string, { parameters: object[] }>>;
    };
    expect(doc.paths["/payments"]?.post?.parameters).toContainEqual({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      schema: { type: "string" },
    });
  });
});
