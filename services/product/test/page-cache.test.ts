import { describe, expect, it } from "vitest";
import { createPageCache } from "../src/db/page-cache.js";

type Page = { readonly name: string };
const page = (name: string): Page => ({ name });

describe("page cache", () => {
  it("reads a page asked for once, and keeps it from its second ask", () => {
    const cache = createPageCache<Page>({ products: 10 });
    expect(cache.plan("a", 5)).toEqual({ kind: "read" });
    expect(cache.plan("a", 5)).toEqual({ kind: "keep" });
    cache.keep("a", "1:7", page("a"), 5);
    expect(cache.plan("a", 5)).toEqual({ kind: "kept", versions: "1:7", page: page("a") });
  });

  it("forgets pages asked for once beyond as many products as it keeps", () => {
    const cache = createPageCache<Page>({ products: 10 });
    for (const key of ["a", "b", "c"]) expect(cache.plan(key, 4).kind).toBe("read");
    expect(cache.plan("a", 4).kind).toBe("read");
    expect(cache.plan("c", 4).kind).toBe("keep");
  });

  it("drops the least recently asked pages when its products exceed the bound", () => {
    const cache = createPageCache<Page>({ products: 10 });
    cache.keep("a", "a", page("a"), 4);
    cache.keep("b", "b", page("b"), 4);
    expect(cache.plan("a", 4).kind).toBe("kept");
    cache.keep("c", "c", page("c"), 4);
    expect(cache.plan("b", 4).kind).toBe("read");
    expect(cache.plan("a", 4).kind).toBe("kept");
    expect(cache.plan("c", 4).kind).toBe("kept");
  });

  it("replaces a page kept again under its key, counting its products once", () => {
    const cache = createPageCache<Page>({ products: 10 });
    cache.keep("a", "old", page("a"), 6);
    cache.keep("a", "new", page("a2"), 6);
    cache.keep("b", "b", page("b"), 4);
    expect(cache.plan("a", 6)).toEqual({ kind: "kept", versions: "new", page: page("a2") });
    expect(cache.plan("b", 4).kind).toBe("kept");
  });

  it("reads a page found changed without keeping it for as many asks as it is told", () => {
    const cache = createPageCache<Page>({ products: 10, readsAfterChange: 2 });
    cache.keep("a", "a", page("a"), 5);
    cache.changed("a", 5);
    const plans = Array.from({ length: 4 }, () => cache.plan("a", 5).kind);
    expect(plans).toEqual(["read", "read", "keep", "read"]);
    cache.keep("a", "a2", page("a"), 10);
    cache.keep("b", "b", page("b"), 10);
    expect(cache.plan("b", 10).kind).toBe("kept");
    expect(cache.stats()).toMatchObject({ asked: 5, checked: 1, changed: 1, products: 10 });
  });

  it("keeps no page larger than its bound, and none at all with a bound of 0", () => {
    const small = createPageCache<Page>({ products: 3 });
    small.keep("a", "a", page("a"), 4);
    expect(small.plan("a", 4).kind).toBe("read");
    const none = createPageCache<Page>({ products: 0 });
    none.keep("a", "a", page("a"), 1);
    for (let ask = 0; ask < 3; ask++) expect(none.plan("a", 1).kind).toBe("read");
  });

  it("reads a kept page again in full once it is older than the longest age", () => {
    let now = 1_000;
    const cache = createPageCache<Page>({ products: 10, maxAgeMs: 60_000, now: () => now });
    cache.keep("a", "a", page("a"), 5);
    now += 60_000;
    expect(cache.plan("a", 5).kind).toBe("kept");
    now += 1;
    expect(cache.plan("a", 5).kind).toBe("keep");
    expect(cache.stats().products).toBe(0);
    cache.keep("a", "a2", page("a"), 5);
    expect(cache.plan("a", 5)).toMatchObject({ kind: "kept", versions: "a2" });
  });

  describe("versions of a kept page's rows", () => {
    /** Probes answered by hand, in the order they were sent. */
    function probes() {
      const sent: { resolve(versions: string | null): void; reject(error: Error): void }[] = [];
      const probe = () =>
        new Promise<string | null>((resolve, reject) => sent.push({ resolve, reject }));
      return { sent, probe };
    }
    const settled = () => new Promise((resolve) => setImmediate(resolve));

    it("answers each ask from a probe sent after it, sharing one among asks made meanwhile", async () => {
      const cache = createPageCache<Page>({ products: 10 });
      const { sent, probe } = probes();
      const first = cache.versionsNow("a", probe);
      const waiting = [cache.versionsNow("a", probe), cache.versionsNow("a", probe)];
      expect(sent).toHaveLength(1);
      sent[0]?.resolve("1:7");
      expect(await first).toBe("1:7");
      await settled();
      // The asks made while the first probe ran get the one sent after it, not its answer.
      expect(sent).toHaveLength(2);
      const late = cache.versionsNow("a", probe);
      sent[1]?.resolve("1:8");
      expect(await Promise.all(waiting)).toEqual(["1:8", "1:8"]);
      await settled();
      expect(sent).toHaveLength(3);
      sent[2]?.resolve("1:9");
      expect(await late).toBe("1:9");
      expect(cache.stats().probes).toBe(3);
    });

    it("sends a probe at once when none is running, and one per key", async () => {
      const cache = createPageCache<Page>({ products: 10 });
      const { sent, probe } = probes();
      const a = cache.versionsNow("a", probe);
      const b = cache.versionsNow("b", probe);
      expect(sent).toHaveLength(2);
      sent[0]?.resolve("a");
      sent[1]?.resolve(null);
      expect([await a, await b]).toEqual(["a", null]);
      await settled();
      const again = cache.versionsNow("a", probe);
      expect(sent).toHaveLength(3);
      sent[2]?.resolve("a2");
      expect(await again).toBe("a2");
    });

    it("fails only the asks of a probe that failed; the asks after it get a probe of their own", async () => {
      const cache = createPageCache<Page>({ products: 10 });
      const { sent, probe } = probes();
      const first = cache.versionsNow("a", probe);
      const next = cache.versionsNow("a", probe);
      sent[0]?.reject(new Error("connection lost"));
      await expect(first).rejects.toThrow("connection lost");
      await settled();
      sent[1]?.resolve("1:7");
      expect(await next).toBe("1:7");
      const thrown = cache.versionsNow("b", () => {
        throw new Error("no connection");
      });
      await expect(thrown).rejects.toThrow("no connection");
      await settled();
      const after = cache.versionsNow("b", probe);
      sent[2]?.resolve("b");
      expect(await after).toBe("b");
    });
  });
});
