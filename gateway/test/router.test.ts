import { describe, expect, it } from "vitest";
import { parsePathTemplate } from "../src/path-template.js";
import { createRouter } from "../src/router.js";
import type { Route } from "../src/routes.js";

const route = (httpMethod: string, template: string) => ({
  route: {
    httpMethod,
    template,
    label: `${httpMethod} ${template}`,
    path: parsePathTemplate(template),
  } as Route,
});

const router = createRouter([
  route("GET", "/products"),
  route("GET", "/products/{id}"),
  route("PUT", "/products/{id}"),
  route("GET", "/products/featured"),
  route("GET", "/files/{path=**}"),
  route("POST", "/v1/{name=shelves/*}:archive"),
  route("GET", "/v1/{name=shelves/*}"),
]);

const labelOf = (method: string, path: string) => {
  const match = router(method, path);
  return match.kind === "route" ? match.target.route.label : match.kind;
};

describe("matching requests against the route trie", () => {
  it.each([
    ["GET", "/products", "GET /products"],
    ["GET", "/products/", "GET /products"],
    ["GET", "/products/42", "GET /products/{id}"],
    ["PUT", "/products/42", "PUT /products/{id}"],
    ["GET", "/products/featured", "GET /products/featured"],
    ["PUT", "/products/featured", "PUT /products/{id}"],
    ["GET", "/files/a/b/c.txt", "GET /files/{path=**}"],
    ["POST", "/v1/shelves/7:archive", "POST /v1/{name=shelves/*}:archive"],
    ["GET", "/v1/shelves/7", "GET /v1/{name=shelves/*}"],
    ["GET", "/products/42/extra", "none"],
    ["GET", "/", "none"],
    ["GET", "/v1/shelves", "none"],
    ["GET", "/v1/shelves/7:archive", "GET /v1/{name=shelves/*}"],
    ["DELETE", "/v1/shelves/7:archive", "method"],
    ["GET", "/products/4:2", "GET /products/{id}"],
  ])("%s %s → %s", (method, path, label) => {
    expect(labelOf(method, path)).toBe(label);
  });

  it("tells a wrong method from an unknown path, listing what is allowed", () => {
    expect(router("DELETE", "/products/1")).toEqual({ kind: "method", allow: "GET, PUT" });
    expect(router("DELETE", "/products")).toEqual({ kind: "method", allow: "GET" });
  });

  it("hands back the raw segments for the variables", () => {
    const match = router("GET", "/files/a%20b/c");
    expect(match.kind === "route" && match.segments).toEqual(["files", "a%20b", "c"]);
  });

  it("never matches an empty segment to a variable", () => {
    expect(router("GET", "/products//").kind).toBe("none");
  });
});
