import net from "node:net";

/** A loopback TCP proxy that counts the connections it carries and can cut them all. */
export interface TcpProxy {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Connections the client side has closed so far. */
  closed(): number;
  /** Resets every open connection, as a crashed peer or a broken network would. */
  cut(): void;
  /** Closes every open connection (FIN, no reset), as a peer that exits would. */
  hangUp(): void;
  /** Drops every byte on the open connections from now on, as a silently dead network would. */
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `targetPort` on 127.0.0.1. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  const frozen = new WeakSet<net.Socket>();
  let count = 0;
  let closed = 0;
  const forward = (from: net.Socket, to: net.Socket) =>
    from.on("data", (data) => {
      if (!frozen.has(from)) to.write(data);
    });
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => open.delete(socket));
    }
    client.on("close", () => closed++);
    forward(client, upstream);
    forward(upstream, client);
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const cut = () => {
    for (const socket of open) socket.resetAndDestroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    closed: () => closed,
    cut,
    hangUp() {
      for (const socket of open) socket.destroy();
    },
    freeze() {
      for (const socket of open) frozen.add(socket);
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
