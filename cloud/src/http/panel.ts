/**
 * The web panel's files (ARCHITECTURE §7: served by the cloud, no CDN, no build step). The panel is plain ES
 * modules in cloud/web/; Preact and htm come from node_modules under /vendor/. The hooks module imports the
 * bare specifier "preact", which a browser cannot resolve without an import map, and an inline import map
 * would need 'unsafe-inline' under our CSP (script-src 'self'), so it is served with that one import
 * rewritten to the sibling file instead.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express, type Request, type Response } from "express";

export interface PanelOptions {
  /** Folder of the panel's files; default cloud/web (the same relative path from src/http and dist/http). */
  webDir?: string;
}

/** Where each /vendor/ file comes from: package subpath export → rewrite of bare imports. */
const VENDOR: Record<string, { spec: string; rewrite?: boolean }> = {
  "preact.js": { spec: "preact" },
  "hooks.js": { spec: "preact/hooks", rewrite: true },
  "htm.js": { spec: "htm" },
};

export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

/** The browser (ESM) build of a package export: the CommonJS entry's sibling `*.module.js`. */
function browserFileOf(spec: string): string {
  const require = createRequire(import.meta.url);
  const cjs = require.resolve(spec);
  const base = cjs.slice(dirname(cjs).length + 1).replace(/\.js$/, "");
  return join(dirname(cjs), `${base}.module.js`);
}

async function loadVendor(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [name, { spec, rewrite }] of Object.entries(VENDOR)) {
    let text = await readFile(browserFileOf(spec), "utf8");
    // Source maps are not served: drop the comment so devtools do not ask for a missing file.
    text = text.replace(/\/\/# sourceMappingURL=.*$/m, "");
    if (rewrite) text = text.replace(/from\s*["']preact["']/g, 'from"./preact.js"');
    files.set(name, text);
  }
  return files;
}

/**
 * Mount the panel on the cloud's app: `/` (index.html and the modules next to it) and `/vendor/*.js`.
 * Call it through `createHttpApp({ mount })`, so the API routes come first and the final 404 after.
 */
export function mountPanel(app: Express, opts: PanelOptions = {}): void {
  const webDir = opts.webDir ?? DEFAULT_WEB_DIR;
  const vendor = loadVendor();
  // Keep an unhandled rejection from escaping before the first request awaits it.
  vendor.catch(() => undefined);
  app.get("/vendor/:file", (req: Request, res: Response, next) => {
    const name = String(req.params.file);
    vendor
      .then((files) => {
        const text = files.get(name);
        if (text === undefined) {
          next();
          return;
        }
        res.type("text/javascript; charset=utf-8");
        res.setHeader("Cache-Control", "public, max-age=86400");
        res.send(text);
      })
      .catch(next);
  });
  // The panel's own files change with each release: revalidate every time (ETag makes that a 304).
  app.use(
    express.static(webDir, {
      index: "index.html",
      etag: true,
      lastModified: true,
      setHeaders: (res) => res.setHeader("Cache-Control", "no-cache"),
    }),
  );
}
