/**
 * The drain counts what a one-port server serves: requests node made for the handler, and the
 * HTTP/2 streams a stream handler took without them (fast-grpc's unary gRPC path).
 */
import http2 from "node:http2";
import type net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createDrain } from "#shared/server/drain";
import { createOnePortServer, type OnePortServer } from "#shared/server/one-port";

/** A one-port server whose stream handler takes streams to `/take` and holds them in `held`. */
async function start() {
  const drain = createDrain();
  const held: http2.ServerHttp2Stream[] = [];
  const requests: string[] = [];
  const server: OnePortServer = createOnePortServer(
    drain.wrap((req, res) => {
      requests.push(req.url ?? "");
      res.end("from node's request");
    }),
    drain.wrapStreams((stream, headers) => {
      if (headers[":path"] !== "/take") return false;
      held.push(stream);
      return true;
    }),
  );
  drain.watch(server);
  await new Promise<void>((resolve) => server.listener.listen(0, "127.0.0.1", resolve));
  const { port } = server.listener.address() as net.AddressInfo;
  return { drain, held, requests, server, url: `http://127.0.0.1:${port}` };
}

/** GET `path` on a fresh session: the status and body, once the stream has closed. */
function get(url: string, path: string) {
  const session = http2.connect(url);
  const stream = session.request({ ":path": path });
  const answer = new Promise<{ status: unknown; body: string }>((resolve) => {
    let status: unknown;
    let body = "";
    stream.on("response", (headers) => {
      status = headers[":status"];
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      body += chunk;
    });
    stream.on("close", () => resolve({ status, body }));
  });
  return { stream, answer: answer.finally(() => session.close()) };
}

describe("the drain of a one-port server", () => {
  let running: Awaited<ReturnType<typeof start>> | undefined;
  afterEach(async () => {
    for (const stream of running?.held ?? []) stream.destroy();
    await running?.drain.close(100);
  });

  it("counts a stream taken without node's request until it closes, and waits for it on close", async () => {
    running = await start();
    const { drain, held, url } = running;
    const { answer } = get(url, "/take");
    await expect.poll(() => held.length).toBe(1);
    expect(drain.inFlight()).toBe(1);
    let closed = false;
    const closing = drain.close(10_000).then(() => {
      closed = true;
    });
    // The GOAWAY is out and the session stays up for the held stream.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    held[0]?.respond({ ":status": 200 });
    held[0]?.end("from the stream");
    expect(await answer).toEqual({ status: 200, body: "from the stream" });
    await closing;
    expect(drain.inFlight()).toBe(0);
  });

  it("counts a stream it declines once, as node's request", async () => {
    running = await start();
    const { drain, requests, url } = running;
    expect(await get(url, "/other").answer).toEqual({
      status: 200,
      body: "from node's request",
    });
    expect(requests).toEqual(["/other"]);
    expect(drain.inFlight()).toBe(0);
  });

  it("forgets a taken stream the client reset", async () => {
    running = await start();
    const { drain, held, url } = running;
    const { stream, answer } = get(url, "/take");
    await expect.poll(() => held.length).toBe(1);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await answer;
    await expect.poll(() => drain.inFlight()).toBe(0);
  });
});
