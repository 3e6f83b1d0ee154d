// What text and names may contain: nothing that can move a cursor, recolour a terminal or reorder a line.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC (ESC P|X|^|_ … ST),
// two-character escapes (ESC, intermediates, final) and the 8-bit CSI.
const ESCAPE_SEQUENCE =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~])|\x9b[0-?]*[ -/]*[@-~]/g;

// C0 but tab, DEL, C1, the bidi marks, embeddings, overrides and isolates, and the
// Unicode line and paragraph separators.
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same class without /g, whose test() would keep its place between calls. */
const HAS_FORBIDDEN = new RegExp(FORBIDDEN.source);

/** Text without escape sequences or control characters. Already-clean text is returned as is. */
export function cleanText(text: string): string {
  if (!HAS_FORBIDDEN.test(text)) return text;
  return text.replace(ESCAPE_SEQUENCE, "").replace(FORBIDDEN, "");
}

/** Whether text is empty or only white space; most lines start with a visible ASCII character and need no trimmed copy. */
export function isBlank(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return text.trim() === "";
}

export const MAX_NAME = 32;
const NAME = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;

/** What is wrong with a name (or a room name); messages.ts says it in each language. */
export type NameFault = "empty" | "long" | "space" | "chars";

/** What is wrong with a (cleaned) name or room name, or undefined if it is fine. */
export function nameFault(name: string): NameFault | undefined {
  const length = [...name].length;
  if (length === 0) return "empty";
  if (length > MAX_NAME) return "long";
  if (NAME.test(name)) return undefined;
  return /\s/.test(name) ? "space" : "chars";
}

/** Why a (cleaned) name is refused, in English, or undefined if it is fine. */
export function nameProblem(name: string): string | undefined {
  const fault = nameFault(name);
  if (fault === undefined) return undefined;
  return {
    empty: "a name needs at least one character",
    long: `a name has at most ${MAX_NAME} characters`,
    space: "a name may hold only letters, digits, _, - and .",
    chars: "a name may hold only letters, digits, _, - and .",
  }[fault];
}

/** The form names are compared in: `Alice`, `alice` and a fullwidth `ａｌｉｃｅ` are one name. */
export function nameKey(name: string): string {
  // Upper then lower folds more than lower alone (ß → SS → ss).
  return name.normalize("NFKC").toUpperCase().toLowerCase();
}
