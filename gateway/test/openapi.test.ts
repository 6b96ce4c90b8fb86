import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Audience } from "#gen/shop/auth/v1/auth_pb";
import { buildOpenApi } from "../src/openapi.js";
import { accessOf } from "../src/route-class.js";
import { deriveRoutes } from "../src/routes.js";
import { serviceBindings } from "../src/services.js";
import { compileTranscoder } from "../src/transcode.js";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
  security: unknown;
  servers: unknown[];
};
type Operation = {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security: unknown;
  parameters: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<
    string,
    { $ref?: string; headers?: object; content?: Record<string, { schema: Schema }> }
  >;
};
type Schema = {
  $ref?: string;
  description?: string;
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
      const [, , kind = "", name = ""] = ref.slice('"$ref":"'.length, -1).split("/");
      const components = doc.components as Record<string, Record<string, unknown>>;
      expect(components[kind]?.[name], ref).toBeDefined();
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

  it("uses response_body, 201 for creation and the error responses", () => {
    const create = doc.paths["/products"]?.post;
    expect(create?.responses["201"]?.content?.["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/shop.product.v1.Product",
    });
    expect(create?.requestBody?.content["application/json"]?.schema.$ref).toContain(
      "CreateProductRequest",
    );
    expect(create?.responses["400"]?.$ref).toBe("#/components/responses/error.400");
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

const operations = routes.map((route) => ({
  route,
  op: doc.paths[route.template]?.[route.httpMethod.toLowerCase()] as Operation,
  audience: accessOf(route.rpc).audience,
}));
const statuses = (op: Operation) => Object.keys(op.responses);

describe("what the document says about the edge", () => {
  it("needs a bearer token exactly where the access rule is not PUBLIC", () => {
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const { route, op, audience } of operations) {
      const expected = audience === Audience.PUBLIC ? [] : [{ bearer: [] }];
      expect(op.security, route.label).toEqual(expected);
    }
    expect(doc.paths["/health"]?.get?.security).toEqual([]);
  });

  it("lists 401 and 403 only where a token is needed", () => {
    for (const { route, op, audience } of operations) {
      const guarded = audience !== Audience.PUBLIC;
      expect(statuses(op).includes("401"), route.label).toBe(guarded);
      expect(statuses(op).includes("403"), route.label).toBe(guarded);
    }
  });

  it.each([
    ["/products/{id}", "get", ["200", "400", "404", "429", "500", "503", "504"]],
    ["/products", "get", ["200", "400", "429", "500", "503", "504"]],
    [
      "/products",
      "post",
      ["201", "400", "401", "403", "409", "413", "415", "429", "500", "503", "504"],
    ],
    ["/baskets/{user_id}", "get", ["200", "400", "401", "403", "404", "429", "500", "503", "504"]],
  ])("%s %s answers %j", (path, method, expected) => {
    expect(statuses(doc.paths[path]?.[method] as Operation).sort()).toEqual(expected);
  });

  it("documents 429 with Retry-After and the RateLimit headers only while limits are on", () => {
    const get = doc.paths["/products/{id}"]?.get as Operation;
    expect(Object.keys(get.responses["200"]?.headers ?? {})).toEqual([
      "RateLimit-Limit",
      "RateLimit-Remaining",
      "RateLimit-Reset",
    ]);
    const responses = (
      doc.components as unknown as { responses: Record<string, Operation["responses"][string]> }
    ).responses;
    expect(Object.keys(responses["error.429"]?.headers ?? {})).toContain("Retry-After");
    const off = buildOpenApi(routes.map(compileTranscoder), "test", { limits: "off" });
    expect(JSON.stringify(off)).not.toContain("error.429");
    expect(JSON.stringify(off)).not.toContain('"RateLimit-Limit"');
  });

  it("takes summaries and descriptions from the proto comments", () => {
    const get = doc.paths["/products/{id}"]?.get as Operation;
    expect(get.summary).toBe("GetProduct returns one product");
    expect(get.description).toContain("NotFound when the id is unknown");
    expect(get.description).toContain("Anyone may call this");
    const basket = doc.paths["/baskets/{user_id}"]?.get as Operation;
    expect(basket.description).toContain("`user_id`");
    expect(schema("shop.product.v1.Product").description).toBe("Product is one catalogue entry.");
    expect(schema("shop.product.v1.Product").properties?.price?.description).toContain(
      "exact decimal",
    );
    for (const { route, op } of operations) expect(op.summary, route.label).not.toBe("");
  });

  it("names a server", () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: "/" })]);
  });

  it("passes redocly lint with the recommended rules", async () => {
    const dir = await mkdtemp(join(tmpdir(), "openapi-lint-"));
    try {
      const file = join(dir, "openapi.json");
      await writeFile(file, JSON.stringify(doc));
      // Rejects (exit status 1) on any error; prints warnings without failing.
      const { stdout, stderr } = await promisify(execFile)(
        join(process.cwd(), "node_modules/.bin/redocly"),
        ["lint", "--config", join(process.cwd(), "redocly.yaml"), file],
        {
          env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        },
      );
      expect(`${stdout}${stderr}`).toMatch(/valid/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
