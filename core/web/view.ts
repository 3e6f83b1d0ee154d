// How the page builds what it shows: elements from text, names in their colours, links as nodes; never HTML from what anyone sent.
import { colorOf } from "../wire/palette.ts";

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A name in the colour the terminal client gives it. */
export function nameNode(name: string): HTMLSpanElement {
  return el("span", `name c${colorOf(name)}`, name);
}

/**
 * A line the server's words make (`alice has arrived`, `alice 上线`) with the names in it painted:
 * each name of names is found in turn after the one before; the rest is text, links made clickable.
 */
export function painted(text: string, names: readonly string[]): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const name of names) {
    const found = text.indexOf(name, at);
    if (found < 0) continue;
    if (found > at) nodes.push(...textNodes(text.slice(at, found)));
    nodes.push(nameNode(name));
    at = found + name.length;
  }
  if (at < text.length) nodes.push(...textNodes(text.slice(at)));
  return nodes;
}

// Ends at white space or a character that cannot end a URL in running text; trailing punctuation is trimmed below.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** Text with its http(s) links made clickable: text nodes and anchors, nothing parsed. */
export function textNodes(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING, "");
    const start = match.index!;
    const href = safeUrl(url);
    if (!href) continue;
    if (start > last) nodes.push(document.createTextNode(text.slice(last, start)));
    const a = el("a", "", url);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    nodes.push(a);
    last = start + url.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function safeUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** HH:MM in the reader's time zone, with the full time for a tooltip and screen readers. */
export function timeNode(ts: number): HTMLTimeElement {
  const date = new Date(ts);
  const node = el("time", "", `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`);
  node.dateTime = date.toISOString();
  node.title = date.toLocaleString();
  return node;
}
