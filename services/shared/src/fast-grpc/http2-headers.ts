import type http2 from "node:http2";

/** A Node header object: a repeated header as an array, pseudo-headers (`:path`, `:status`) too. */
export type NodeHeaderObject = Readonly<
  Record<string, string | readonly string[] | number | undefined>
>;

/**
 * Node headers as web Headers, the way connect-node reads them: pseudo-headers dropped, repeated
 * headers kept as repeated values. Appended one by one, as `new Headers(pairs)` would, without
 * first making a pair array of every header (every call makes three Headers).
 */
export function webHeaders(node: NodeHeaderObject | undefined): Headers {
  const headers = new Headers();
  if (node !== undefined) appendNodeHeaders(node, (name, value) => headers.append(name, value));
  return headers;
}

/** Each header `webHeaders` appends, in the same order, given to `append`. */
export function appendNodeHeaders(
  node: NodeHeaderObject,
  append: (name: string, value: string) => void,
): void {
  for (const name in node) {
    const value = node[name];
    if (value === undefined || name.startsWith(":")) continue;
    if (typeof value === "string") append(name, value);
    else if (Array.isArray(value)) for (const each of value) append(name, each);
    else append(name, String(value));
  }
}

/** One request header as `Headers.get()` reads it: repeated values joined by ", ". */
export function headerValue(node: NodeHeaderObject, name: string): string | null {
  const value = node[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** Adds one header to a Node header object, keeping repeats of a name as an array. */
export function appendNodeHeader(
  headers: http2.OutgoingHttpHeaders,
  name: string,
  value: string,
): void {
  const key = name.toLowerCase();
  const existing = headers[key];
  if (existing === undefined) headers[key] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else headers[key] = [String(existing), value];
}

/** Web headers as connect-node writes them to a Node response. */
export function nodeHeaders(headers: Headers): http2.OutgoingHttpHeaders {
  const result: http2.OutgoingHttpHeaders = Object.create(null);
  for (const [name, value] of headers) appendNodeHeader(result, name, value);
  return result;
}

/**
 * Web headers as a `:status` 200 response header list for `ServerHttp2Stream.respond`, holding
 * what node's compatibility response sends for `writeHead(200, nodeHeaders(headers))`
 * (compat.js, node 24) in the same order: its `connection` header other than "trailers" dropped
 * (as it drops it, with a warning), names lower-cased, repeats kept.
 */
export function responseHeaderList(headers: Headers): string[] {
  const list = [":status", "200"];
  for (const [name, value] of headers) {
    if (name === "connection" && value !== "trailers") continue;
    list.push(name, value);
  }
  return list;
}
