// Durations as people type them (`30s`, `5m`, `1h30m`) and as the chat shows them back.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, "": 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from `500ms`, `30s`, `5m`, `1h`, `1h30m` (a bare number is seconds; `0` or `off` is 0), or undefined: a flag makes that an error, the room a reply. */
export function toMilliseconds(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === "off" || t === "0") return 0;
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d)?)+$/.test(t) ? t.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)?/g) : null;
  if (!parts) return undefined;
  let ms = 0;
  for (const part of parts) {
    const [, n, unit = ""] = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part)!;
    ms += Number(n) * DURATION_UNITS[unit]!;
  }
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

/** The shortest whole-second form: `1h30m`, `45s`. */
export function formatDuration(ms: number): string {
  let seconds = Math.ceil(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join("") || "0s";
}
