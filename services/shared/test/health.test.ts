import { getEventListeners } from "node:events";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "#gen/health/v1/health_pb";
import { createHealthService } from "#shared/rpc/health";

describe("Health.Watch", () => {
  it("holds a minute of ticks without piling listeners on the call's signal", async () => {
    const call = new AbortController();
    const listeners: number[] = [];
    const isReady = async () => {
      listeners.push(getEventListeners(call.signal, "abort").length);
      if (listeners.length === 60) call.abort();
      return true;
    };
    // One tick per millisecond stands in for one per second.
    const health = createHealthService([], isReady, 1);
    const statuses: (Status | undefined)[] = [];
    const ctx = { signal: call.signal } as HandlerContext;
    const request = create(HealthCheckRequestSchema, { service: "" });
    for await (const { status } of health.watch(request, ctx)) statuses.push(status);
    expect(listeners).toHaveLength(60);
    expect(Math.max(...listeners)).toBeLessThanOrEqual(1);
    expect(getEventListeners(call.signal, "abort")).toHaveLength(0);
    // Only changes are reported.
    expect(statuses).toEqual([Status.SERVING]);
  });
});
