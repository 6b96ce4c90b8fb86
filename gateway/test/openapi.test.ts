import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../src/openapi.js";
import { deriveRoutes } from "../src/routes.js";
import { serviceBindings } from "../src/services.js";
import { compileTranscoder } from "../src/transcode.js";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Schema = {
  $ref?: string;
  type?: unknown;
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
};

const routes = deriveRoutes(serviceBindings);
const doc = buildOpenApi(routes.map(compileTranscoder), "test") as unknown as Doc;
const schema = (name: string): Schema => doc.components.schemas[name] ?? {};

describe("the generated OpenAPI document", () => {
  it("is OpenAPI 3.1 with an operation for every route", () => {
    expect(doc.openapi).toBe("3.1.0");
    for (const route of routes) {
      expect(
        doc.paths[route.template]?.[route.httpMethod.toLowerCase()],
        route.label,
      ).toBeDefined();
    }
    expect(doc.paths["/health"]?.get).toBeDefined();
  });

  it("gives unique operation ids", () => {
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("resolves every $ref", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(doc.components.schemas[name], ref).toBeDefined();
    }
  });

  it("describes path variables and query fields as parameters", () => {
    const get = doc.paths["/products/{id}"]?.get;
    expect(get?.parameters).toEqual([
      {
        name: "id",
        in: "path",
        required: true,
        schema: expect.objectContaining({ type: "string", format: "int64" }),
      },
    ]);
    const list = doc.paths["/products"]?.get;
    expect(list?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(["page_size", "page_token", "category", "min_price", "max_stock"]),
    );
    expect(list?.parameters.find((p) => p.name === "page_size")?.schema).toMatchObject({
      type: "integer",
    });
  });

  it("uses response_body, 201 for creation and the error schema as the default", () => {
    const create = doc.paths["/products"]?.post;
    expect(create?.responses["201"]?.content?.["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/shop.product.v1.Product",
    });
    expect(create?.requestBody?.content["application/json"]?.schema.$ref).toContain(
      "CreateProductRequest",
    );
    expect(create?.responses.default?.content?.["application/json"]?.schema.$ref).toContain(
      "connect.error",
    );
  });

  it("maps types per proto JSON: int64 string, Timestamp date-time, repeated arrays", () => {
    const product = schema("shop.product.v1.Product");
    expect(product.properties?.id).toMatchObject({ type: "string", format: "int64" });
    expect(product.properties?.createdAt).toEqual({ type: "string", format: "date-time" });
    expect(product.properties?.stockQuantity).toMatchObject({ type: "integer", format: "int32" });
    expect(schema("shop.basket.v1.Basket").properties?.items).toEqual({
      type: "array",
      items: { $ref: "#/components/schemas/shop.basket.v1.BasketItem" },
    });
  });

  it("marks always-emitted response fields required, and never request or optional fields", () => {
    expect(schema("shop.product.v1.ListProductsResponse").required).toEqual([
      "products",
      "nextPageToken",
    ]);
    expect(schema("shop.product.v1.CreateProductRequest").required).toBeUndefined();
    expect(schema("shop.product.v1.Product").required).not.toContain("createdAt");
  });

  it("documents the Connect error shape", () => {
    expect(schema("connect.error")).toMatchObject({ required: ["code", "message", "details"] });
  });
});
