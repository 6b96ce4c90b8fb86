/**
 * Builds the storefront (web/) with esbuild into `dist/web`: `index.html`, and the script and
 * style sheet under `assets/` with content hashes in their names, so the gateway can let browsers
 * keep them for a year and only revalidate index.html. Run by `npm run build`; the browser tests
 * call `buildWeb` themselves so they always test the current sources.
 *
 * `WEB_API_ORIGIN` (optional) bakes another origin into the page as the one to call (a page
 * hosted elsewhere, calling the gateway through its CORS allow-list); unset, the page calls the
 * origin that served it.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// This file runs from scripts/ (tests) and from dist/scripts/ (npm run build).
const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, here.includes(`${sep}dist${sep}`) ? "../.." : "..");
const sources = join(root, "web");

export interface WebBuildOptions {
  /** Where the files go (emptied first). */
  readonly outDir: string;
  /** The API origin the page calls; "" (default) for its own. */
  readonly apiOrigin?: string;
}

/** Bundles, hashes and writes the storefront; resolves the names of the files written. */
export async function buildWeb(options: WebBuildOptions): Promise<string[]> {
  const apiOrigin = options.apiOrigin ?? "";
  if (apiOrigin !== "" && new URL(apiOrigin).origin !== apiOrigin) {
    throw new Error(
      `WEB_API_ORIGIN must be an origin like https://api.example.com, got ${apiOrigin}`,
    );
  }
  await rm(options.outDir, { recursive: true, force: true });
  const assets = join(options.outDir, "assets");
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(sources, "src/main.ts"), join(sources, "src/styles.css")],
    outdir: assets,
    entryNames: "[name]-[hash]",
    bundle: true,
    minify: true,
    sourcemap: "linked",
    format: "esm",
    target: ["chrome120", "firefox120", "safari17"],
    // `#gen/…` resolves to the generated TypeScript, as it does for tsc and vitest.
    conditions: ["source"],
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const script = outputs.find((name) => name.startsWith("main-") && name.endsWith(".js"));
  const styles = outputs.find((name) => name.startsWith("styles-") && name.endsWith(".css"));
  if (!script || !styles) throw new Error(`esbuild wrote no script or style sheet: ${outputs}`);
  const template = await readFile(join(sources, "index.html"), "utf8");
  const page = template
    .replace("{{script}}", `/assets/${script}`)
    .replace("{{styles}}", `/assets/${styles}`)
    .replace("{{apiOrigin}}", apiOrigin);
  await writeFile(join(options.outDir, "index.html"), page);
  return ["index.html", ...outputs.map((name) => `assets/${name}`)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = join(root, "dist/web");
  const files = await buildWeb({ outDir, apiOrigin: process.env.WEB_API_ORIGIN });
  console.log(`storefront: ${files.length} files in dist/web`);
}
