import type { Segment } from "./path-template.js";
import type { Route } from "./routes.js";

/** The outcome of matching a request line against the route table. */
export type RouteMatch<T> =
  | { readonly kind: "route"; readonly target: T; readonly segments: readonly string[] }
  | { readonly kind: "method"; readonly allow: string }
  | { readonly kind: "none" };

/** Matches a method and a raw (still percent-encoded) path, without the query string. */
export type Router<T> = (httpMethod: string, path: string) => RouteMatch<T>;

/** Anything routed by its REST binding, e.g. a route's transcoder. */
export interface Routed {
  readonly route: Route;
}

interface Node<T> {
  readonly literals: Map<string, Node<T>>;
  star: Node<T> | undefined;
  rest: Node<T> | undefined;
  /** verb → HTTP method → target; verb "" for templates without one. */
  readonly leaves: Map<string, Map<string, T>>;
}

const noMatch = { kind: "none" } as const;

const newNode = <T>(): Node<T> => ({
  literals: new Map(),
  star: undefined,
  rest: undefined,
  leaves: new Map(),
});

/**
 * Compiles routes into a segment trie so a lookup costs one split and a walk that tries literal
 * segments before `*` before `**`. A path that matches under another method gives `method`
 * with an Allow list; a trailing slash is ignored.
 */
export function createRouter<T extends Routed>(targets: readonly T[]): Router<T> {
  const root = newNode<T>();
  let hasVerbs = false;
  for (const target of targets) {
    const { route } = target;
    let node = root;
    for (const segment of route.path.segments) node = child(node, segment);
    const { verb } = route.path;
    hasVerbs ||= verb !== "";
    const methods = node.leaves.get(verb) ?? new Map<string, T>();
    node.leaves.set(verb, methods);
    methods.set(route.httpMethod, target);
  }
  return (httpMethod, path) => {
    const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(1, -1) : path.slice(1);
    const segments = trimmed.split("/");
    const last = segments.at(-1) ?? "";
    const colon = hasVerbs ? last.lastIndexOf(":") : -1;
    if (colon > 0) {
      const withVerb = segments.slice();
      withVerb[withVerb.length - 1] = last.slice(0, colon);
      const verbed = lookup(root, withVerb, last.slice(colon + 1), httpMethod);
      if (verbed.kind === "route") return verbed;
      // A colon may just be data in a variable; the verb reading only wins when that fails.
      const plain = lookup(root, segments, "", httpMethod);
      return plain.kind === "route" || verbed.kind === "none" ? plain : verbed;
    }
    return lookup(root, segments, "", httpMethod);
  };
}

function child<T>(node: Node<T>, segment: Segment): Node<T> {
  if (segment.kind === "*") {
    node.star ??= newNode();
    return node.star;
  }
  if (segment.kind === "**") {
    node.rest ??= newNode();
    return node.rest;
  }
  let next = node.literals.get(segment.value);
  if (!next) {
    next = newNode();
    node.literals.set(segment.value, next);
  }
  return next;
}

function lookup<T>(
  root: Node<T>,
  segments: string[],
  verb: string,
  httpMethod: string,
): RouteMatch<T> {
  const exact = find(root, segments, 0, verb, httpMethod);
  const target = exact?.leaves.get(verb)?.get(httpMethod);
  if (target) return { kind: "route", target, segments };
  // Only a miss pays for the second walk that tells 405 from 404.
  const any = find(root, segments, 0, verb, undefined)?.leaves.get(verb);
  if (!any) return noMatch;
  return { kind: "method", allow: [...any.keys()].sort().join(", ") };
}

/** The first node, by specificity, that ends the path with a leaf for the verb (and method). */
function find<T>(
  node: Node<T>,
  segments: readonly string[],
  index: number,
  verb: string,
  httpMethod: string | undefined,
): Node<T> | undefined {
  if (index === segments.length) {
    if (accepts(node, verb, httpMethod)) return node;
    return node.rest && accepts(node.rest, verb, httpMethod) ? node.rest : undefined;
  }
  const segment = segments[index] as string;
  const literal = node.literals.get(segment);
  const viaLiteral = literal && find(literal, segments, index + 1, verb, httpMethod);
  if (viaLiteral) return viaLiteral;
  const viaStar =
    node.star && segment !== "" && find(node.star, segments, index + 1, verb, httpMethod);
  if (viaStar) return viaStar;
  return node.rest && accepts(node.rest, verb, httpMethod) ? node.rest : undefined;
}

function accepts<T>(node: Node<T>, verb: string, httpMethod: string | undefined): boolean {
  const methods = node.leaves.get(verb);
  return methods !== undefined && (httpMethod === undefined || methods.has(httpMethod));
}
