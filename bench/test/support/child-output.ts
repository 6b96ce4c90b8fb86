import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { Child } from "../../../scripts/process-group.js";

/** Resolves once the child's stdout (its log file) holds `marker`. */
export async function waitForOutput(child: Child, marker: string): Promise<void> {
  while (!readFileSync(child.stdoutFile ?? "", "utf8").includes(marker)) await delay(20);
}
