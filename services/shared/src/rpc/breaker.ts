import { Code, ConnectError } from "@connectrpc/connect";
import { isFailure, type Outcome, outcomeOf } from "./outcome.js";

/** When a breaker opens and how long it stays open. */
export interface BreakerSettings {
  /** The span over which calls are counted, in milliseconds (ten buckets). */
  readonly windowMs: number;
  /** Fewer calls than this in the window never open the breaker. */
  readonly minimumCalls: number;
  /** The share of failed calls (0–1] in the window that opens it. */
  readonly failureRatio: number;
  /** How long it stays open before one call may probe the service (half-open). */
  readonly openMs: number;
  /** The clock, in milliseconds; `performance.now` unless a test drives time itself. */
  readonly now?: () => number;
}

export type BreakerState = "closed" | "open" | "half-open";

/** What a breaker reports, for metrics. */
export interface BreakerEvents {
  onState?(state: BreakerState): void;
  onRejected?(): void;
}

const BUCKETS = 10;

/**
 * A circuit breaker over a whole service. Closed: calls pass, and their outcomes are counted in
 * a rolling window; when at least `minimumCalls` were made and `failureRatio` of them failed
 * (5xx-class codes, Unavailable, timeouts, broken connections — never the service's refusals,
 * never a caller's cancellation), it opens. Open: calls fail at once with Unavailable, without
 * reaching the service. After `openMs` the next call is let through as a probe (half-open) while
 * the others still fail fast; its success closes the breaker, its failure opens it again.
 *
 * Hand-written rather than cockatiel's: cockatiel's half-open state makes concurrent calls wait
 * for the probe (unbounded by their own deadlines) where we want them to fail fast.
 */
export class CircuitBreaker {
  private state: BreakerState = "closed";
  private openedAt = 0;
  private probing = false;
  private readonly calls = new Array<number>(BUCKETS).fill(0);
  private readonly failures = new Array<number>(BUCKETS).fill(0);
  private bucket = 0;
  private bucketStart = 0;
  private readonly now: () => number;

  constructor(
    private readonly service: string,
    private readonly settings: BreakerSettings,
    private readonly events: BreakerEvents = {},
  ) {
    this.now = settings.now ?? (() => performance.now());
  }

  get current(): BreakerState {
    return this.state;
  }

  /** Runs `call` unless the breaker is open; counts how it ended. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const end = this.enter();
    let outcome: Outcome = "ok";
    try {
      return await call();
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      end(outcome);
    }
  }

  /**
   * Admits one call whose end is not a promise (the gateway's proxy passes bytes through):
   * throws the fail-fast Unavailable when open, else returns what to call once, with how the
   * call ended; later calls of it are ignored.
   */
  enter(): (outcome: Outcome) => void {
    const probe = this.admit();
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      this.record(outcome, probe);
    };
  }

  /** Throws the fail-fast error when open; true when this call is the half-open probe. */
  private admit(): boolean {
    if (this.state === "closed") return false;
    const now = this.now();
    if (this.state === "open" && now - this.openedAt >= this.settings.openMs) {
      this.move("half-open");
    }
    if (this.state === "half-open" && !this.probing) {
      this.probing = true;
      return true;
    }
    this.events.onRejected?.();
    const wait = Math.max(0, Math.ceil((this.openedAt + this.settings.openMs - now) / 1000));
    throw new ConnectError(
      `circuit breaker open: ${this.service} failed too often recently; not calling it for ${wait} s`,
      Code.Unavailable,
    );
  }

  private record(outcome: Outcome, probe: boolean): void {
    if (probe) {
      this.probing = false;
      if (outcome === "canceled") return; // says nothing: the next call probes instead
      if (isFailure(outcome)) this.open();
      else this.close();
      return;
    }
    if (this.state !== "closed" || outcome === "canceled") return;
    this.rotate();
    this.calls[this.bucket] = (this.calls[this.bucket] ?? 0) + 1;
    if (!isFailure(outcome)) return;
    this.failures[this.bucket] = (this.failures[this.bucket] ?? 0) + 1;
    const calls = sum(this.calls);
    if (
      calls >= this.settings.minimumCalls &&
      sum(this.failures) >= calls * this.settings.failureRatio
    ) {
      this.open();
    }
  }

  /** Moves to the current bucket, clearing those that fell out of the window. */
  private rotate(): void {
    const width = this.settings.windowMs / BUCKETS;
    const now = this.now();
    const steps = Math.floor((now - this.bucketStart) / width);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, BUCKETS); i++) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.calls[this.bucket] = 0;
      this.failures[this.bucket] = 0;
    }
    this.bucketStart += steps * width;
  }

  private open(): void {
    this.openedAt = this.now();
    this.move("open");
  }

  private close(): void {
    this.calls.fill(0);
    this.failures.fill(0);
    this.move("closed");
  }

  private move(state: BreakerState): void {
    if (this.state === state) return;
    this.state = state;
    this.events.onState?.(state);
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
