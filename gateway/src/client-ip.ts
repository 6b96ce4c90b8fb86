import type { IncomingMessage } from "node:http";

/**
 * The address of the client behind a request, for keying anonymous rate limits.
 *
 * `X-Forwarded-For` is anyone's to write, so it counts only when the TCP peer is one of
 * `trustedProxies` (exact addresses: the load balancer in front of the gateway). Then the list is
 * read from the right, skipping further trusted proxies; the first other address is the client.
 * With no trusted proxy configured (the default) the TCP peer is the client, whatever the header
 * says — otherwise every request could pick a fresh identity and escape its limit.
 */
export function clientIp(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = normalise(req.socket.remoteAddress ?? "unknown");
  if (trustedProxies.size === 0 || !trustedProxies.has(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  if (header === undefined) return peer;
  const hops = (Array.isArray(header) ? header.join(",") : header).split(",");
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = normalise((hops[index] as string).trim());
    if (hop !== "" && !trustedProxies.has(hop)) return hop;
  }
  return peer;
}

/** IPv4 peers of a dual-stack socket show as `::ffff:1.2.3.4`; one address, one key. */
function normalise(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
