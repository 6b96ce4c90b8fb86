import { describe, expect, it } from "vitest";
import { createLogger, flatLineLogger } from "#shared/logger";

/** A logger of `createLogger` writing into an array of parsed lines. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("test", "info", {
    write: (line: string) => void lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}

describe("the process logger", () => {
  it("redacts credentials by path", () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: "Bearer x" } }, password: "p" }, "m");
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: "[Redacted]" } },
      password: "[Redacted]",
    });
  });

  it("writes a flat line through its unredacted twin exactly as it would itself", () => {
    const { logger, lines } = capture();
    const flat = flatLineLogger(logger);
    expect(flat).not.toBe(logger);
    const fields = { rpc: "a.B", method: "C", code: "ok", requestId: "r", durationMs: 1.5 };
    logger.info(fields, "rpc");
    flat.info(fields, "rpc");
    const [ours, twin] = lines.map(({ time: _, ...rest }) => rest);
    expect(twin).toEqual(ours);
    expect(Object.keys(twin ?? {})).toEqual(Object.keys(ours ?? {}));
  });

  it("leaves loggers it did not make as they are", () => {
    const { logger } = capture();
    const child = logger.child({ component: "x" });
    expect(flatLineLogger(child)).toBe(child);
  });
});
