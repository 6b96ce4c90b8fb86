import {
  type DescMethod,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  getOption,
} from "@bufbuild/protobuf";
import { http } from "#gen/google/api/annotations_pb";
import type { HttpRule } from "#gen/google/api/http_pb";
import { type PathTemplate, parsePathTemplate } from "./path-template.js";

/** Which upstream (by name) serves a service's RPCs; the only hand-written part of routing. */
export interface ServiceBinding {
  readonly service: DescService;
  readonly upstream: string;
}

/**
 * One REST binding of one unary or server-streaming RPC, as declared by its `google.api.http`
 * annotation.
 */
export interface Route {
  /** `GET /products/{id}`: the metric and log label, bounded by the number of bindings. */
  readonly label: string;
  readonly httpMethod: string;
  readonly template: string;
  readonly path: PathTemplate;
  readonly rpc: DescMethodUnary | DescMethodServerStreaming;
  /** A server-streaming RPC: answered as newline-delimited JSON while the stream lasts. */
  readonly streaming: boolean;
  readonly upstream: string;
  /** "" (no body), "*" (the whole request message) or a top-level request field name. */
  readonly body: string;
  /** "" (the whole response message) or a top-level response field name. */
  readonly responseBody: string;
  /** 201 for `Create*` RPCs bound to POST, 200 for everything else. */
  readonly successStatus: 200 | 201;
}

/**
 * Reads every unary and server-streaming RPC's `google.api.http` rule, additional bindings
 * included, into routes. RPCs without the annotation get no route. Throws on a bad template, a
 * client- or bidi-streaming RPC with a binding, or two bindings of the same method and template.
 */
export function deriveRoutes(bindings: readonly ServiceBinding[]): Route[] {
  const routes: Route[] = [];
  const seen = new Set<string>();
  for (const { service, upstream } of bindings) {
    for (const rpc of service.methods) {
      const rule = getOption(rpc, http);
      if (rule.pattern.case === undefined) continue;
      for (const one of [rule, ...rule.additionalBindings]) {
        const route = toRoute(rpc, one, upstream);
        if (seen.has(route.label)) throw new Error(`duplicate REST binding ${route.label}`);
        seen.add(route.label);
        routes.push(route);
      }
    }
  }
  return routes;
}

function toRoute(rpc: DescMethod, rule: HttpRule, upstream: string): Route {
  const where = `${rpc.parent.typeName}.${rpc.name}`;
  if (rpc.methodKind !== "unary" && rpc.methodKind !== "server_streaming")
    throw new Error(`${where}: only unary and server-streaming RPCs can have REST bindings`);
  const [httpMethod, template] = patternOf(rule, where);
  return {
    label: `${httpMethod} ${template}`,
    httpMethod,
    template,
    path: parsePathTemplate(template),
    rpc: rpc as DescMethodUnary | DescMethodServerStreaming,
    streaming: rpc.methodKind === "server_streaming",
    upstream,
    body: rule.body,
    responseBody: rule.responseBody,
    successStatus: httpMethod === "POST" && rpc.name.startsWith("Create") ? 201 : 200,
  };
}

function patternOf(rule: HttpRule, where: string): [method: string, template: string] {
  const { pattern } = rule;
  switch (pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return [pattern.case.toUpperCase(), pattern.value];
    case "custom":
      if (!/^[A-Z]+$/i.test(pattern.value.kind))
        throw new Error(`${where}: unsupported custom kind`);
      return [pattern.value.kind.toUpperCase(), pattern.value.path];
    default:
      throw new Error(`${where}: additional binding without a pattern`);
  }
}
