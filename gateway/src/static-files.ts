import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { constants, gzipSync } from "node:zlib";
import type { NodeResponse } from "#shared/server/one-port";

/** One file of the storefront build, read once at start-up. */
export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  /** A strong validator: a hash of the body. */
  readonly etag: string;
  /** A hashed asset (under /assets/): cached for a year; anything else is revalidated. */
  readonly immutable: boolean;
  /** The body gzipped once at start-up, for text worth compressing. */
  readonly gzip?: { readonly body: Buffer; readonly etag: string };
}

/** The storefront's files by URL path (`/`, `/assets/app-3F2A.js`, …). */
export type StaticFiles = ReadonlyMap<string, StaticFile>;

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Assets carry a content hash in their names (the build puts them under /assets/). */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Everything else, index.html above all, is checked with the server on every use. */
const REVALIDATE = "no-cache";

/**
 * The page's own policy: scripts, styles and API calls from this origin only (the RPC paths are
 * on it), product images from anywhere over https.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "img-src 'self' https: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Reads every file under `root` into memory, keyed by its URL path, with `/` standing for
 * `index.html`. Only these paths are ever served, so no request path reaches the file system:
 * `..`, encoded slashes and symbolic tricks cannot name anything else. A file with an extension
 * the table does not know is left out.
 */
export async function loadStaticFiles(root: string): Promise<StaticFiles> {
  const files = new Map<string, StaticFile>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const type = contentTypes[extname(entry.name).toLowerCase()];
    if (!type) continue;
    const path = `/${relative(root, full).split(sep).join("/")}`;
    const body = await readFile(full);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    const immutable = path.startsWith("/assets/");
    files.set(path, { body, type, etag, immutable, gzip: gzipped(body, type, etag) });
  }
  const index = files.get("/index.html");
  if (index) files.set("/", index);
  return files;
}

/** The request headers a static answer depends on. */
export interface StaticRequest {
  readonly method: string;
  readonly ifNoneMatch?: string | undefined;
  readonly acceptEncoding?: string | undefined;
}

/**
 * Answers GET or HEAD of a static file, gzipped when the file has a gzipped form and the client
 * accepts it (each form with its own ETag): 304 when `If-None-Match` names the current validator,
 * else 200 with the body (none for HEAD). Returns the status written.
 */
export function writeStaticFile(
  res: NodeResponse,
  file: StaticFile,
  request: StaticRequest,
): number {
  const zipped = file.gzip && acceptsGzip(request.acceptEncoding) ? file.gzip : undefined;
  const { body, etag } = zipped ?? file;
  const headers: Record<string, string | number> = {
    etag,
    "cache-control": file.immutable ? IMMUTABLE : REVALIDATE,
  };
  if (file.gzip) headers.vary = "Origin, Accept-Encoding";
  if (zipped) headers["content-encoding"] = "gzip";
  if (file.type.startsWith("text/html")) headers["content-security-policy"] = PAGE_POLICY;
  // Both node:http and node:http2 responses take a status with a header object.
  const out = res as { writeHead(status: number, headers: object): void; end(body?: Buffer): void };
  if (request.ifNoneMatch !== undefined && matches(request.ifNoneMatch, etag)) {
    out.writeHead(304, headers);
    out.end();
    return 304;
  }
  out.writeHead(200, { ...headers, "content-type": file.type, "content-length": body.length });
  out.end(request.method === "HEAD" ? undefined : body);
  return 200;
}

function matches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/** Text that shrinks by a tenth or more is kept gzipped as well (level 9: it is done once). */
function gzipped(body: Buffer, type: string, etag: string): StaticFile["gzip"] {
  if (!/^(text\/|application\/json|image\/svg)/.test(type)) return undefined;
  const zipped = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
  if (zipped.length > body.length * 0.9) return undefined;
  return { body: zipped, etag: `${etag.slice(0, -1)}-gz"` };
}

/** Whether `Accept-Encoding` admits gzip (`gzip` or `*`, not with `q=0`). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding = "", ...params] = part.split(";").map((text) => text.trim().toLowerCase());
    const refused = params.some((param) => /^q=0(\.0*)?$/.test(param));
    return (coding === "gzip" || coding === "*") && !refused;
  });
}
