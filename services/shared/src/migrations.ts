import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Walks up from `from` to the directory holding `folder` (e.g. `services/product/migrations`,
 * relative to the repository root), so a migrator finds its versioned SQL from its sources
 * (tsx, vitest) and from `dist/…` (compiled) alike, without SQL copied into dist.
 */
export function findMigrationsFolder(folder: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, folder);
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`no ${folder}/meta/_journal.json above ${from}`);
    }
  }
}
