import { describe, expect, it } from "vitest";
import type { Child } from "../../scripts/process-group.js";
import type { Measurement } from "../lib/measure.js";
import { formatReport } from "../lib/report.js";

/**
 * A measured row: its processes' CPU µs, alloc KB, GC µs and promoted KB per request, in process
 * order (promoted KB is a tenth of the alloc KB unless given).
 */
function row(
  key: string,
  processes: readonly [
    name: string,
    cpuUs: number,
    kb: number,
    gcUs: number,
    promotedKb?: number,
  ][],
  figures: { rate: number; p99: number; peer?: string },
): Measurement {
  return {
    target: {
      key,
      label: key,
      load: () => Promise.reject(new Error("not run")),
      processes: processes.map(([name]) => ({ name }) as Child),
      ...(figures.peer === undefined ? {} : { peer: figures.peer }),
    },
    requestsPerSecond: figures.rate,
    p50Ms: figures.p99 / 4,
    p99Ms: figures.p99,
    requests: figures.rate * 10,
    failed: 0,
    note: undefined,
    cpuUsPerRequest: processes.map(([, cpuUs]) => cpuUs),
    gcPerRequest: processes.map(([, , allocatedKb, pauseUs, promotedKb]) => ({
      allocatedKb,
      pauseUs,
      promotedKb: promotedKb ?? allocatedKb / 10,
    })),
    loadCpuUsPerRequest: 20,
    storeCpuUsPerRequest: [],
  };
}

const report = (results: Measurement[]) => formatReport(results, new Map(), new Map());

describe("formatReport's peer lines", () => {
  it("holds a REST row against the bare chain by the sums of both processes, then front with front and back with back", () => {
    const chain = row(
      "rest-get-chain",
      [
        ["chain-front", 60, 4, 2],
        ["chain-back", 90, 6, 3],
      ],
      { rate: 5000, p99: 10 },
    );
    const rest = row(
      "rest-get",
      [
        ["gateway", 180, 20, 9, 3],
        ["product", 120, 10, 6],
      ],
      { rate: 2000, p99: 25, peer: "rest-get-chain" },
    );
    expect(report([chain, rest])).toContain(
      "rest-get ÷ rest-get-chain: req/s 0.40×, p99 2.50×, " +
        "server CPU µs/req 300 ÷ 150 = 2.00× (gateway 180 ÷ chain-front 60, product 120 ÷ chain-back 90), " +
        "alloc KB/req 30.0 ÷ 10.0 = 3.00× (gateway 20.0 ÷ chain-front 4.0, product 10.0 ÷ chain-back 6.0), " +
        "GC µs/req 15.0 ÷ 5.0 = 3.00× (gateway 9.0 ÷ chain-front 2.0, product 6.0 ÷ chain-back 3.0), " +
        "promoted KB/req 4.00 ÷ 1.00 = 4.00× (gateway 3.00 ÷ chain-front 0.40, product 1.00 ÷ chain-back 0.60)\n",
    );
  });

  it("keeps a one-process row's line as before: its process against the peer's", () => {
    const peer = row("grpc-js-peer", [["grpc-js-peer", 100, 5, 2]], { rate: 8000, p99: 8 });
    const grpc = row("grpc-get", [["product", 150, 10, 4]], {
      rate: 6000,
      p99: 10,
      peer: "grpc-js-peer",
    });
    expect(report([peer, grpc])).toContain(
      "grpc-get ÷ grpc-js-peer: req/s 0.75×, p99 1.25×, server CPU µs/req 150 ÷ 100 = 1.50×, " +
        "alloc KB/req 10.0 ÷ 5.0 = 2.00×, GC µs/req 4.0 ÷ 2.0 = 2.00×, " +
        "promoted KB/req 1.00 ÷ 0.50 = 2.00×\n",
    );
  });

  it("shows the ratio to the peer in the req/s ÷ peer column, and none without a peer", () => {
    const chain = row("rest-get-chain", [["chain-front", 60, 4, 2]], { rate: 5000, p99: 10 });
    const rest = row("rest-get", [["gateway", 180, 20, 9]], {
      rate: 2000,
      p99: 25,
      peer: "rest-get-chain",
    });
    const lines = report([chain, rest]).split("\n");
    const cells = (key: string) =>
      lines
        .find((line) => line.startsWith(`| ${key} `))
        ?.split("|")
        .map((cell) => cell.trim());
    expect(cells("rest-get")?.[8]).toBe("0.40×");
    expect(cells("rest-get-chain")?.[8]).toBe("–");
  });
});
