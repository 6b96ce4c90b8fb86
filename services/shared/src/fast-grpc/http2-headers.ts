import type http2 from "node:http2";

/**
 * Node HTTP/2 headers as name/value pairs, the way connect-node reads them: pseudo-headers
 * (`:path`, `:status`) dropped, repeated headers kept as repeated pairs. Feed to `new Headers()`.
 */
export function headerPairs(node: http2.IncomingHttpHeaders | undefined): [string, string][] {
  const pairs: [string, string][] = [];
  if (node === undefined) return pairs;
  for (const name in node) {
    const value = node[name];
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const each of value) pairs.push([name, each]);
    else pairs.push([name, String(value)]);
  }
  return pairs;
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
