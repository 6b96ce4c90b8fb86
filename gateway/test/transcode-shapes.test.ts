import { create, type Message } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema, FileOptions_OptimizeMode } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { applyQuery, compileQuery } from "../src/query.js";
import { deriveRoutes } from "../src/routes.js";
import { compileTranscoder } from "../src/transcode.js";
import { library, rule } from "./support/library.js";

// Field shapes the shop's own messages don't have yet: nested, repeated, bool, enum, body fields.

describe("query parameters on nested, repeated, bool and enum fields", () => {
  const schema = FileDescriptorProtoSchema;
  const table = compileQuery(schema, new Set(["name"]));
  const apply = (query: string): Message => {
    const message = create(schema);
    applyQuery(reflect(schema, message), table, query);
    return message;
  };

  it("lists dotted paths into nested messages, leaving out bound fields", () => {
    const names = table.params.map((param) => param.name);
    expect(names).toContain("options.java_package");
    expect(names).not.toContain("name");
  });

  it("sets repeated fields from repeated keys, nested bools and enums by name or number", () => {
    const query =
      "dependency=a.proto&dependency=b.proto&public_dependency=1&options.java_multiple_files=true&options.optimize_for=CODE_SIZE";
    expect(apply(query)).toMatchObject({
      dependency: ["a.proto", "b.proto"],
      publicDependency: [1],
      options: { javaMultipleFiles: true, optimizeFor: FileOptions_OptimizeMode.CODE_SIZE },
    });
    expect(apply("options.optimizeFor=3")).toMatchObject({ options: { optimizeFor: 3 } });
  });

  it.each([
    ["options.java_multiple_files=yes", "expected bool"],
    ["options.optimize_for=FAST", "expected one of SPEED, CODE_SIZE, LITE_RUNTIME"],
  ])("refuses %s", (query, message) => {
    expect(() => apply(query)).toThrow(message);
  });
});

describe("bindings our own protos don't use yet", () => {
  const only = (binding: Parameters<typeof library>[0]) => {
    const [route] = deriveRoutes([{ service: library(binding), upstream: "library" }]);
    if (!route) throw new Error("no route");
    return compileTranscoder(route);
  };

  it("puts a body into the named field and takes the other fields from the query", () => {
    const patch = only(
      rule({ pattern: { case: "patch", value: "/v1/{name=shelves/*}" }, body: "book" }),
    );
    const shelf = patch.decode(["v1", "shelves", "7"], "theme=sci-fi", {
      title: "Dune",
      year: 1965,
    });
    expect(shelf).toMatchObject({
      name: "shelves/7",
      theme: "sci-fi",
      book: { title: "Dune", year: 1965 },
    });
    expect(() => patch.decode(["v1", "shelves", "7"], "book.title=x", {})).toThrow(
      /unknown query parameter/,
    );
  });

  it("sets a nested field from a path variable and nested fields from dotted query names", () => {
    const get = only(rule({ pattern: { case: "get", value: "/v1/books/{book.title}" } }));
    const shelf = get.decode(
      ["v1", "books", "Dune%3A%20Messiah"],
      "book.year=1969&name=s1",
      undefined,
    );
    expect(shelf).toMatchObject({ name: "s1", book: { title: "Dune: Messiah", year: 1969 } });
  });

  it("keeps %2F inside a multi-segment variable", () => {
    const get = only(rule({ pattern: { case: "get", value: "/v1/{name=shelves/**}" } }));
    expect(get.decode(["v1", "shelves", "a%2Fb", "c"], "", undefined)).toMatchObject({
      name: "shelves/a%2Fb/c",
    });
  });

  it("refuses at start-up a binding to a field the message lacks", () => {
    expect(() => only(rule({ pattern: { case: "get", value: "/v1/{colour}" } }))).toThrow(
      /no field "colour"/,
    );
    expect(() => only(rule({ pattern: { case: "post", value: "/v1/x" }, body: "colour" }))).toThrow(
      /no field/,
    );
    expect(() => only(rule({ pattern: { case: "get", value: "/v1/{book}" } }))).toThrow(
      /singular scalar/,
    );
  });
});
