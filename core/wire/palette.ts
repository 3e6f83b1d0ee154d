// The colour a name is shown in, the same in the terminal client and on the web page: an ANSI colour code.

// Readable on dark and light backgrounds alike; the page maps each code to a colour of its own.
export const PALETTE = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96] as const;

export type Color = (typeof PALETTE)[number];

/** The same name gets the same colour in every session, on every side: a hash of the name, not a lookup. */
export function colorOf(name: string): Color {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return PALETTE[(hash >>> 0) % PALETTE.length]!;
}
