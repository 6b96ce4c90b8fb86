import { ensureStores } from "./dev-stores.js";

/**
 * vitest's global set-up: before any suite runs, the store servers of every service in
 * services/registry.ts are up (started when they are not) with the development login.
 */
export function setup(): void {
  ensureStores("test");
}
