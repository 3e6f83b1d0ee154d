// The web page's files, embedded in the binary, and the headers each is served with: type, caching and the security policy.
import pageHtml from "../web/index.html" with { type: "text" };
import pageCss from "../web/page.css" with { type: "text" };
import { bundlePage } from "./bundle.ts" with { type: "macro" };
import type { Lang } from "../wire/messages.ts";

/** Only the page's own script, style and socket; no inline script, no frames, no forms sent anywhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** On every response, the page's and the others alike. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

export interface Asset {
  body: string;
  type: string;
  cacheControl: string;
  etag: string;
}

const etagOf = (body: string) => `"${Bun.hash(body).toString(36)}"`;

/** A file named after its content can be kept for ever: a new build has new names. */
function fingerprinted(name: string, extension: string, body: string, type: string): [string, Asset] {
  const hash = Bun.hash(body).toString(36);
  return [`/${name}.${hash}.${extension}`, { body, type, cacheControl: "public, max-age=31536000, immutable", etag: `"${hash}"` }];
}

/**
 * Every file of the page by its path; `/` asks the browser to check again each time, so a new build is seen at once.
 * The page is in the room's language (`<html lang>`), which its script reads for its own words.
 */
export function pageAssets(lang: Lang): Map<string, Asset> {
  // The macro runs at build time; a text import of .html is a string, whatever the HTMLBundle type says.
  const [scriptPath, script] = fingerprinted("page", "js", bundlePage(), "text/javascript; charset=utf-8");
  const [stylePath, style] = fingerprinted("page", "css", pageCss as unknown as string, "text/css; charset=utf-8");
  const html = (pageHtml as unknown as string)
    .replace('<html lang="en">', `<html lang="${lang}">`)
    .replace('src="/page.js"', `src="${scriptPath}"`)
    .replace('href="/page.css"', `href="${stylePath}"`);
  const page: Asset = { body: html, type: "text/html; charset=utf-8", cacheControl: "no-cache", etag: etagOf(html) };
  return new Map([
    ["/", page],
    [scriptPath, script],
    [stylePath, style],
  ]);
}
