import { describe, expect, it } from "vitest";
import { openApiPath, parsePathTemplate } from "../src/path-template.js";

describe("parsing google.api.http path templates", () => {
  it("reads literals and a simple variable", () => {
    expect(parsePathTemplate("/products/{id}")).toEqual({
      segments: [{ kind: "literal", value: "products" }, { kind: "*" }],
      variables: [{ fieldPath: "id", start: 1, end: 2 }],
      verb: "",
    });
  });

  it("reads a variable with a multi-segment pattern", () => {
    const template = parsePathTemplate("/v1/{name=shelves/*/books/*}");
    expect(template.segments.map((s) => (s.kind === "literal" ? s.value : s.kind))).toEqual([
      "v1",
      "shelves",
      "*",
      "books",
      "*",
    ]);
    expect(template.variables).toEqual([{ fieldPath: "name", start: 1, end: 5 }]);
  });

  it("reads ** as the open-ended rest of the path", () => {
    expect(parsePathTemplate("/files/{path=**}").variables).toEqual([
      { fieldPath: "path", start: 1, end: undefined },
    ]);
  });

  it("reads nested field paths, anonymous wildcards and a verb", () => {
    const template = parsePathTemplate("/v1/{shelf.id}/*:archive");
    expect(template.variables).toEqual([{ fieldPath: "shelf.id", start: 1, end: 2 }]);
    expect(template.segments.at(-1)).toEqual({ kind: "*" });
    expect(template.verb).toBe("archive");
  });

  it.each([
    ["products", /start with/],
    ["/a/**/b", /\*\* must be last/],
    ["/{x", /unbalanced|unclosed/],
    ["/a b", /bad segment/],
    ["/{x}/{x}", /repeated variable/],
    ["/{1x}", /bad field path/],
    ["/a/", /bad segment/],
    ["/{a={b}}", /unbalanced/],
  ])("rejects %s", (template, why) => {
    expect(() => parsePathTemplate(template)).toThrow(why);
  });

  it("writes OpenAPI paths without variable patterns", () => {
    expect(openApiPath("/v1/{name=shelves/*}/{id}:move")).toBe("/v1/{name}/{id}:move");
  });
});
