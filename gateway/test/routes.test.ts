import { describe, expect, it } from "vitest";
import { deriveRoutes } from "../src/routes.js";
import { serviceBindings } from "../src/services.js";
import { library, rule } from "./support/library.js";

// SPEC §5 and issue 3: the documented paths. The table is derived from the annotations; this
// list exists only to fail when an annotation disappears or drifts.
const documented = [
  ["GET", "/products", "ListProducts"],
  ["GET", "/products/{id}", "GetProduct"],
  ["POST", "/products", "CreateProduct"],
  ["PUT", "/products/{id}", "UpdateProduct"],
  ["DELETE", "/products/{id}", "DeleteProduct"],
  ["GET", "/baskets/{user_id}", "GetBasket"],
  ["POST", "/baskets", "CreateBasket"],
  ["DELETE", "/baskets/{user_id}", "DeleteBasket"],
  ["POST", "/baskets/{user_id}/items", "AddItem"],
  ["PUT", "/baskets/{user_id}/items/{product_id}", "UpdateItem"],
  ["DELETE", "/baskets/{user_id}/items/{product_id}", "RemoveItem"],
  ["DELETE", "/baskets/{user_id}/items", "ClearItems"],
  ["GET", "/users/{user_id}/notifications", "ListNotifications"],
  ["POST", "/users/{user_id}/notifications/{id}/read", "MarkRead"],
  ["GET", "/events", "ListEvents"],
  ["GET", "/users/{user_id}/notifications:watch", "WatchNotifications"],
] as const;

describe("the route table derived from the annotations", () => {
  const routes = deriveRoutes(serviceBindings);

  it.each(documented)("binds %s %s to %s", (method, template, rpc) => {
    const route = routes.find((r) => r.httpMethod === method && r.template === template);
    expect(route?.rpc.name).toBe(rpc);
  });

  it("gives every RPC of every bound service a REST path", () => {
    const bound = new Set(routes.map((route) => route.rpc.name));
    for (const { service } of serviceBindings) {
      for (const rpc of service.methods) expect(bound.has(rpc.name), rpc.name).toBe(true);
    }
  });

  it("sends each service's routes to its own upstream", () => {
    expect(routes.find((r) => r.rpc.name === "GetProduct")?.upstream).toBe("product");
    expect(routes.find((r) => r.rpc.name === "AddItem")?.upstream).toBe("basket");
    expect(routes.find((r) => r.rpc.name === "ListEvents")?.upstream).toBe("notification");
  });

  it("answers 201 only for Create* RPCs bound to POST", () => {
    const created = routes.filter((r) => r.successStatus === 201).map((r) => r.label);
    expect(created.sort()).toEqual(["POST /baskets", "POST /payments", "POST /products"]);
  });

  it("reads body and response_body from the annotation", () => {
    const get = routes.find((r) => r.label === "GET /products/{id}");
    expect(get).toMatchObject({ body: "", responseBody: "product" });
    expect(routes.find((r) => r.label === "POST /baskets/{user_id}/items")).toMatchObject({
      body: "*",
    });
  });
});

describe("deriving routes from any annotated service", () => {
  it("includes additional bindings and custom methods, and skips unannotated RPCs", () => {
    const service = library(
      rule({
        pattern: { case: "get", value: "/v1/{name=shelves/*}" },
        additionalBindings: [
          rule({ pattern: { case: "post", value: "/v1/shelves:lookup" }, body: "*" }),
          rule({
            pattern: { case: "custom", value: { kind: "HEAD", path: "/v1/{name=shelves/*}" } },
          }),
        ],
      }),
    );
    const routes = deriveRoutes([{ service, upstream: "library" }]);
    expect(routes.map((r) => r.label)).toEqual([
      "GET /v1/{name=shelves/*}",
      "POST /v1/shelves:lookup",
      "HEAD /v1/{name=shelves/*}",
    ]);
    expect(routes[1]?.path.verb).toBe("lookup");
  });

  it("binds a server-streaming RPC as a stream", () => {
    const service = library(rule({ pattern: { case: "get", value: "/v1/shelves" } }), true);
    const [route] = deriveRoutes([{ service, upstream: "library" }]);
    expect(route).toMatchObject({ label: "GET /v1/shelves", streaming: true });
  });
});
