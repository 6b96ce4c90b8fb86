import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { StockService } from "#gen/shop/product/v1/stock_pb";
import { clientIp } from "../src/client-ip.js";
import { routeClassOf } from "../src/route-class.js";
import { deriveRoutes } from "../src/routes.js";
import { serviceBindings } from "../src/services.js";

const classes = Object.fromEntries(
  deriveRoutes(serviceBindings).map((route) => [
    route.label,
    routeClassOf(route.rpc, route.httpMethod),
  ]),
);

describe("route classes come from the access rule and the verb", () => {
  it.each([
    ["GET /products/{id}", "catalogue"],
    ["GET /products", "catalogue"],
    ["GET /categories", "catalogue"],
    ["POST /products", "write"],
    ["GET /baskets/{user_id}", "read"],
    ["POST /baskets/{user_id}/items", "write"],
    ["GET /payments", "read"],
    ["POST /payments", "checkout"],
    ["POST /payments/{id}/process", "checkout"],
  ])("%s is %s", (label, expected) => {
    expect(classes[label]).toBe(expected);
  });

  it("classes an RPC without a REST binding (a proxied call) as a change", () => {
    expect(routeClassOf(StockService.method.reserveStock)).toBe("write");
  });
});

const request = (remoteAddress: string, forwarded?: string) =>
  ({
    socket: { remoteAddress },
    headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
  }) as unknown as IncomingMessage;

describe("the client IP", () => {
  it.each([
    ["is the TCP peer when no proxy is trusted", request("10.1.1.1", "9.9.9.9"), [], "10.1.1.1"],
    ["drops the IPv4-mapped prefix", request("::ffff:10.1.1.1"), [], "10.1.1.1"],
    [
      "ignores the header from an untrusted peer",
      request("10.1.1.1", "9.9.9.9"),
      ["10.0.0.1"],
      "10.1.1.1",
    ],
    [
      "is the last hop a trusted proxy added",
      request("10.0.0.1", "6.6.6.6, 9.9.9.9"),
      ["10.0.0.1"],
      "9.9.9.9",
    ],
    [
      "skips chained trusted proxies",
      request("10.0.0.1", "9.9.9.9, 10.0.0.2"),
      ["10.0.0.1", "10.0.0.2"],
      "9.9.9.9",
    ],
    [
      "is the proxy itself when the header is missing",
      request("10.0.0.1"),
      ["10.0.0.1"],
      "10.0.0.1",
    ],
  ])("%s", (_, req, trusted, expected) => {
    expect(clientIp(req, new Set(trusted))).toBe(expected);
  });
});
