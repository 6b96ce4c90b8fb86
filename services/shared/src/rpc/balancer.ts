import { isFailure, type Outcome } from "./outcome.js";

/** When an instance is ejected and when it is tried again. */
export interface EjectionSettings {
  /**
   * Consecutive Unavailable answers or timeouts that eject an instance. A connection failure
   * (refused, reset, GOAWAY) ejects it at once: the instance is gone or going.
   */
  readonly afterFailures: number;
  /** Time from an ejection to the first probe; it doubles after each failed probe. */
  readonly baseMs: number;
  /** The longest time between probes of an ejected instance. */
  readonly maxMs: number;
}

/** One instance of a service as the balancer tracks it. */
export interface Instance<T> {
  /** Its base URL, e.g. http://product-2:50050 (configuration, so fit for a metric label). */
  readonly url: string;
  /** What calls it: a transport, or anything the owner of the balancer sends through. */
  readonly target: T;
  /** Calls in flight to it through this balancer. */
  readonly outstanding: number;
  /** False while ejected. */
  readonly admitted: boolean;
}

/** What a balancer reports, for metrics and logs. */
export interface BalancerEvents {
  onEjected?(url: string): void;
  onReadmitted?(url: string): void;
}

/** Tells whether an ejected instance is fit to take traffic again (e.g. a gRPC health check). */
export type Probe<T> = (instance: Instance<T>) => Promise<boolean>;

type State<T> = {
  url: string;
  target: T;
  outstanding: number;
  admitted: boolean;
  /** Consecutive Unavailable answers or timeouts. */
  failures: number;
  /** Consecutive failed probes since the ejection. */
  failedProbes: number;
  timer: NodeJS.Timeout | undefined;
};

/**
 * Spreads calls over the instances of one service and keeps failing ones out of rotation.
 *
 * - `pick()` chooses the admitted instance with the fewest calls in flight (least outstanding,
 *   ties taken in turn), and counts the call as outstanding until `report()`.
 * - Passive ejection: `report()` ejects an instance on a connection failure at once, and after
 *   `afterFailures` consecutive Unavailable answers or timeouts. An ejected instance gets no
 *   calls; after `baseMs` (doubling per failed probe, up to `maxMs`) `probe` is asked whether it
 *   is back, and it is re-admitted when it is. A successful call re-admits it too.
 * - When every instance is ejected, calls go to all of them anyway (a try beats a certain
 *   failure; the breaker is what stops calling a service that is down as a whole).
 *
 * The gateway's protocol proxy can use it directly: `pick()`, send to `instance.url`, then
 * `report(instance, outcome)` exactly once.
 */
export class Balancer<T> {
  private readonly states: State<T>[];
  private turn = 0;
  private closed = false;

  constructor(
    instances: readonly { readonly url: string; readonly target: T }[],
    private readonly settings: EjectionSettings,
    private readonly probe: Probe<T>,
    private readonly events: BalancerEvents = {},
  ) {
    if (instances.length === 0) throw new RangeError("a balancer needs at least one instance");
    this.states = instances.map(({ url, target }) => ({
      url,
      target,
      outstanding: 0,
      admitted: true,
      failures: 0,
      failedProbes: 0,
      timer: undefined,
    }));
  }

  /** Every instance, in configuration order. */
  get instances(): readonly Instance<T>[] {
    return this.states;
  }

  /**
   * The instance for the next call, other than `avoid` when another admitted one exists;
   * undefined only when `avoid` is given and no other admitted instance exists.
   */
  pick(avoid?: Instance<T>): Instance<T> | undefined {
    const states = this.states;
    const count = states.length;
    const start = this.turn++ % count;
    let best: State<T> | undefined;
    for (let i = 0; i < count; i++) {
      const state = states[(start + i) % count] as State<T>;
      if (!state.admitted || state === avoid) continue;
      if (!best || state.outstanding < best.outstanding) best = state;
    }
    if (!best && avoid) return undefined;
    if (!best) {
      // Every instance is ejected: try the least busy of them all.
      for (let i = 0; i < count; i++) {
        const state = states[(start + i) % count] as State<T>;
        if (!best || state.outstanding < best.outstanding) best = state;
      }
    }
    const chosen = best as State<T>;
    chosen.outstanding++;
    return chosen;
  }

  /** Ends a call made to `instance` after `pick()`, with how it went. */
  report(instance: Instance<T>, outcome: Outcome): void {
    const state = instance as State<T>;
    state.outstanding--;
    if (outcome === "canceled") return;
    if (!isFailure(outcome) || outcome === "failed") {
      // An answer, even an error the service chose, shows the instance is there.
      state.failures = 0;
      if (!state.admitted && outcome !== "failed") this.readmit(state);
      return;
    }
    if (!state.admitted) return;
    state.failures++;
    const immediate = outcome === "unsent" || outcome === "connection";
    if (immediate || state.failures >= this.settings.afterFailures) this.eject(state);
  }

  /** Stops the probes. */
  close(): void {
    this.closed = true;
    for (const state of this.states) clearTimeout(state.timer);
  }

  private eject(state: State<T>): void {
    state.admitted = false;
    state.failedProbes = 0;
    this.events.onEjected?.(state.url);
    this.scheduleProbe(state);
  }

  private readmit(state: State<T>): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    state.admitted = true;
    state.failures = 0;
    this.events.onReadmitted?.(state.url);
  }

  private scheduleProbe(state: State<T>): void {
    if (this.closed) return;
    const { baseMs, maxMs } = this.settings;
    const wait = Math.min(maxMs, baseMs * 2 ** Math.min(state.failedProbes, 20));
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void this.runProbe(state), wait).unref();
  }

  private async runProbe(state: State<T>): Promise<void> {
    state.timer = undefined;
    const back = await this.probe(state).catch(() => false);
    if (state.admitted || this.closed) return;
    if (back) {
      this.readmit(state);
    } else {
      state.failedProbes++;
      this.scheduleProbe(state);
    }
  }
}
