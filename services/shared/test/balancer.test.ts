import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Balancer } from "#shared/rpc/balancer";
import { markTransportFailure, type Outcome, outcomeOf } from "#shared/rpc/outcome";

const never = async () => false;
const settings = { afterFailures: 3, baseMs: 60_000, maxMs: 60_000 };
const three = () =>
  new Balancer(
    ["a", "b", "c"].map((url) => ({ url, target: url })),
    settings,
    never,
  );

/** Picks until `url` comes up (the others answer at once), as a call made to it. */
function callTo(balancer: Balancer<string>, url: string) {
  for (;;) {
    const picked = balancer.pick();
    if (picked?.url === url) return picked;
    if (picked) balancer.report(picked, "ok");
  }
}

describe("the balancer", () => {
  it("sends each call to the instance with the fewest calls in flight", () => {
    const balancer = three();
    const first = balancer.pick();
    const second = balancer.pick();
    expect(new Set([first?.url, second?.url]).size).toBe(2);
    if (second) balancer.report(second, "ok");
    // a and the freed one are idle; the busy one is not chosen again until it is free
    for (let i = 0; i < 4; i++) {
      const next = balancer.pick();
      expect(next?.url).not.toBe(first?.url);
      if (next) balancer.report(next, "ok");
    }
  });

  it.each<[Outcome, number]>([
    ["unsent", 1],
    ["connection", 1],
    ["unavailable", 3],
    ["timeout", 3],
  ])("ejects an instance after a %s failure (%i in a row)", (outcome, times) => {
    const balancer = three();
    const [a] = balancer.instances;
    for (let i = 0; i < times; i++) {
      expect(a?.admitted).toBe(true);
      balancer.report(callTo(balancer, "a"), outcome);
    }
    expect(a?.admitted).toBe(false);
    for (let i = 0; i < 6; i++) {
      const next = balancer.pick();
      expect(next?.url).not.toBe("a");
      if (next) balancer.report(next, "ok");
    }
    balancer.close();
  });

  it.each<Outcome>(["ok", "refused", "failed", "canceled"])(
    "keeps an instance after %s",
    (outcome) => {
      const balancer = three();
      const [a] = balancer.instances;
      for (let i = 0; i < 5; i++) {
        balancer.pick();
        if (a) balancer.report(a, outcome);
      }
      expect(a?.admitted).toBe(true);
    },
  );

  it("still calls when every instance is ejected, and takes back the one that answers", () => {
    const balancer = three();
    for (const url of ["a", "b", "c"]) balancer.report(callTo(balancer, url), "connection");
    const picked = balancer.pick();
    expect(picked).toBeDefined();
    if (picked) balancer.report(picked, "ok");
    expect(picked?.admitted).toBe(true);
    expect(balancer.pick(picked)).toBeUndefined();
    balancer.close();
  });
});

describe("a call's outcome", () => {
  it.each<[string, unknown, Outcome]>([
    ["a refusal", new ConnectError("no", Code.NotFound), "refused"],
    ["an Internal error", new ConnectError("boom", Code.Internal), "failed"],
    ["a DataLoss error", new ConnectError("lost", Code.DataLoss), "failed"],
    ["an Unavailable answer", new ConnectError("db down", Code.Unavailable), "unavailable"],
    ["a deadline", new ConnectError("late", Code.DeadlineExceeded), "timeout"],
    ["a cancellation", new ConnectError("bye", Code.Canceled), "canceled"],
    [
      "a refused connection (connect-node)",
      new ConnectError(
        "x",
        Code.Unavailable,
        undefined,
        undefined,
        Object.assign(new Error("r"), { code: "ECONNREFUSED" }),
      ),
      "unsent",
    ],
    [
      "a reset connection (connect-node)",
      new ConnectError(
        "x",
        Code.Unavailable,
        undefined,
        undefined,
        Object.assign(new Error("r"), { code: "ECONNRESET" }),
      ),
      "connection",
    ],
    [
      "a refused stream (connect-node)",
      new ConnectError("Stream closed with error code NGHTTP2_REFUSED_STREAM", Code.Internal),
      "unsent",
    ],
    [
      "a call the lean client marked unsent",
      markTransportFailure(new ConnectError("x", Code.Unavailable), "unsent"),
      "unsent",
    ],
  ])("of %s", (_, error, outcome) => {
    expect(outcomeOf(error)).toBe(outcome);
  });
});
