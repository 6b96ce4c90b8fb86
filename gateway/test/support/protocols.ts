import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { asUser } from "#shared-test/auth";

export type Protocol = (baseUrl: string) => Transport;
const interceptors = [asUser("alice")];
/** Each protocol the gateway proxies, as user alice: gRPC, gRPC-Web, Connect JSON and binary. */
export const protocols: [string, Protocol][] = [
  ["gRPC", (baseUrl) => createGrpcTransport({ baseUrl, interceptors })],
  ["gRPC-Web", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors })],
  ["Connect", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors })],
  [
    "Connect binary over HTTP/2",
    (baseUrl) =>
      createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors }),
  ],
];
