import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createLogger, fixedLineWriter, writeAllSync } from "#shared/logger";

/**
 * Runs `code` (an ES module that may import #shared/logger) in a node process of its own and
 * resolves with the lines it wrote to stdout once it has written `until` lines or exited.
 */
function linesOf(code: string, until = Number.POSITIVE_INFINITY): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", code],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let output = "";
  return new Promise((resolve) => {
    const done = () => {
      child.kill("SIGKILL");
      resolve(output.split("\n").filter(Boolean));
    };
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.split("\n").length > until) done();
    });
    // "close", not "exit": the exit can come before the last of stdout has been read.
    child.once("close", done);
  });
}

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

  it("writes a fixed line exactly as pino writes the same fields without redaction", () => {
    const raw: string[] = [];
    const root = createLogger("test", "info", { write: (line: string) => void raw.push(line) });
    const keys = ["rpc", "requestId", "caller", "durationMs", "n"] as const;
    const cases: Record<(typeof keys)[number], string | number | undefined>[] = [
      {
        rpc: "shop.product.v1.ProductService",
        requestId: "r-1",
        caller: "user:alice",
        durationMs: 1.234,
        n: 0,
      },
      { rpc: 'a"b\\c', requestId: "tab\there", caller: undefined, durationMs: -0.5, n: Number.NaN },
      {
        rpc: "x".repeat(101),
        requestId: '"'.repeat(120),
        caller: "\ud800 lone",
        durationMs: 1e21,
        n: Infinity,
      },
      { rpc: "é ✓ 😀", requestId: "\u0000\u007f", caller: "", durationMs: 3, n: 12 },
    ];
    for (const logger of [root, root.child({ user: 'q"uote' })]) {
      const line = fixedLineWriter(logger, keys, "rpc");
      for (const fields of cases) {
        raw.length = 0;
        logger.child({}, { redact: [] }).info(fields, "rpc");
        line(fields);
        const [theirs, ours] = raw.map((text) => text.replace(/"time":"[^"]*"/, '"time":"T"'));
        expect(ours).toBe(theirs);
      }
    }
    // Redaction changes nothing on a line of ordinary values.
    raw.length = 0;
    root.info(cases[0], "rpc");
    fixedLineWriter(root, keys, "rpc")(cases[0] as (typeof cases)[number]);
    expect(raw[1]?.replace(/"time":"[^"]*"/, "")).toBe(raw[0]?.replace(/"time":"[^"]*"/, ""));
    raw.length = 0;
    root.level = "warn";
    fixedLineWriter(root, keys, "rpc")(cases[0] as (typeof cases)[number]);
    expect(raw).toEqual([]);
  });

  it("writes the time pino's isoTime writes, also for lines in the same millisecond", () => {
    const raw: string[] = [];
    const logger = createLogger("test", "info", { write: (line: string) => void raw.push(line) });
    const line = fixedLineWriter(logger, ["n"], "m");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      for (const at of [Date.UTC(2026, 11, 2, 17, 0, 0, 1), Date.UTC(2026, 11, 2, 17, 0, 0, 2)]) {
        vi.setSystemTime(at);
        line({ n: 1 });
        line({ n: 2 });
        logger.info({ n: 3 }, "m");
      }
    } finally {
      vi.useRealTimers();
    }
    const times = raw.map((text) => JSON.parse(text).time);
    expect(times).toEqual([
      ...Array(3).fill("2026-12-02T17:00:00.001Z"),
      ...Array(3).fill("2026-12-02T17:00:00.002Z"),
    ]);
  });

  it("refuses a fixed line with a field a redact path names", () => {
    expect(() => fixedLineWriter(createLogger("test", "info"), ["token"], "m")).toThrow();
  });

  it("writes every batched line, in order, when its process exits or fails", async () => {
    const log = `import { createLogger } from "#shared/logger";
      const logger = createLogger("t", "info");
      for (let i = 0; i < 3000; i++) logger.info({ i }, "line");`;
    for (const end of ["", "process.exit(0);", 'throw new Error("crash");']) {
      const lines = await linesOf(`${log}\n${end}`);
      expect(lines.map((line) => JSON.parse(line).i)).toEqual([...Array(3000).keys()]);
    }
  });

  it("writes the line of a process that stays up and logs nothing more", async () => {
    const lines = await linesOf(
      `import { createLogger } from "#shared/logger";
      createLogger("t", "info").info("alone");
      setInterval(() => {}, 1000);`,
      1,
    );
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ msg: "alone", service: "t" });
  });

  it("writes all of the last batch into a full non-blocking pipe, waiting for its reader", async () => {
    const dir = mkdtempSync(join(tmpdir(), "logger-"));
    const fifo = join(dir, "out");
    execFileSync("mkfifo", [fifo]);
    // The reader holds the pipe open but reads only after a pause: the pipe fills up.
    const reader = spawn("sh", ["-c", `exec 3<"${fifo}"; sleep 0.5; wc -c <&3`]);
    let counted = "";
    reader.stdout.on("data", (chunk: Buffer) => {
      counted += chunk.toString();
    });
    const closed = new Promise((resolve) => reader.once("close", resolve));
    try {
      const fd = openWhenRead(fifo);
      let written = 0;
      try {
        for (;;) written += writeSync(fd, Buffer.alloc(4096, "x"));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe("EAGAIN");
      }
      writeAllSync(fd, "y".repeat(100_000));
      closeSync(fd);
      await closed;
      expect(Number(counted.trim())).toBe(written + 100_000);
    } finally {
      reader.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Opens a FIFO's write end without blocking, once its reader has opened the other end. */
function openWhenRead(fifo: string): number {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENXIO" || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
