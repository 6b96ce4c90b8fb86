import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { DependencyUnavailable } from "#shared/errors";
import { UpstreamError } from "#shared/rpc/upstream-error";
import { hasCode, upstreamFailure } from "../src/clients/upstream-errors.js";

// main.ts's transports (createServiceTransport) throw UpstreamError; the suites' in-process
// fakes throw ConnectError. The clients must read the other service's answer from both.
const answers = [
  ["a ConnectError", (error: ConnectError) => error],
  ["an UpstreamError", (error: ConnectError) => UpstreamError.from(error)],
] as const;

describe.each(answers)("reading the other service's answer from %s", (_, wrap) => {
  it("finds the code it was refused with, and its own words", () => {
    const refused = wrap(new ConnectError("only 0 of product 7 in stock", Code.FailedPrecondition));
    expect(hasCode(refused, Code.FailedPrecondition)?.rawMessage).toBe(
      "only 0 of product 7 in stock",
    );
    expect(hasCode(refused, Code.NotFound)).toBeUndefined();
  });

  it("turns Unavailable into DependencyUnavailable saying what it means", () => {
    const failure = upstreamFailure(
      wrap(new ConnectError("connect ECONNREFUSED", Code.Unavailable)),
      "product",
      "ReserveStock",
      "no payment was created",
    );
    expect(failure).toBeInstanceOf(DependencyUnavailable);
    expect((failure as Error).message).toBe(
      "product service is unavailable; no payment was created",
    );
  });
});

it("leaves anything that is no answer of another service as it is", () => {
  const bug = new TypeError("x is undefined");
  expect(hasCode(bug, Code.NotFound)).toBeUndefined();
  expect(upstreamFailure(bug, "product", "GetProduct", "")).toBe(bug);
});
