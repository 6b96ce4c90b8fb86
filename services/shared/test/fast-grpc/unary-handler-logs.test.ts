/** The short path logs and counts each call as connect-node's handler does. */
import { describe, expect, it } from "vitest";
import { CASES, comparableLogs, requestCounts, send, start } from "./support/twin-servers.js";

describe("the unary gRPC short path's logs and metrics", () => {
  it("are those of connect-node for the same calls", async () => {
    const pair = await Promise.all([start("fast"), start("stock")]);
    try {
      for (const [, headers, body] of CASES) {
        for (const { url } of pair) await send(url, headers, body);
      }
      const [ours, theirs] = pair.map(comparableLogs);
      expect(ours?.length).toBeGreaterThan(CASES.length / 2);
      expect(ours).toEqual(theirs);
      const [ourCounts, theirCounts] = await Promise.all(pair.map(requestCounts));
      expect(ourCounts).toEqual(theirCounts);
    } finally {
      await Promise.all(pair.map(({ server }) => server.close(100)));
    }
  });
});
