// What an append changes in the cluster's state besides the stream, written by the same script so the two never disagree.

export type Effect =
  | { op: "hset"; key: string; field: string; value: string }
  | { op: "hdel"; key: string; field: string }
  /** Appends to a list and keeps its last `keep` items. */
  | { op: "push"; key: string; value: string; keep: number }
  | { op: "del"; key: string }
  /** Deletes a claim only if `owner` still holds it. */
  | { op: "release"; key: string; owner: string };

/** The words of no effect: a chat line's, shared. */
const NONE: readonly string[] = [];

/** Four words per effect, as the append script reads them. */
export function encodeEffects(effects: readonly Effect[]): readonly string[] {
  if (effects.length === 0) return NONE;
  const words: string[] = [];
  for (const e of effects) {
    switch (e.op) {
      case "hset":
        words.push("hset", e.key, e.field, e.value);
        break;
      case "hdel":
        words.push("hdel", e.key, e.field, "");
        break;
      case "push":
        words.push("push", e.key, e.value, String(e.keep));
        break;
      case "del":
        words.push("del", e.key, "", "");
        break;
      case "release":
        words.push("release", e.key, e.owner, "");
        break;
    }
  }
  return words;
}

/** The Lua that applies n effects, as words of encodeEffects from words[j] on; shared by the scripts that append. */
export const APPLY_EFFECTS_LUA = `
local function apply(words, j, n)
  for k = 0, n - 1 do
    local at = j + 4 * k
    local op, key, a, b = words[at], words[at + 1], words[at + 2], words[at + 3]
    if op == 'hset' then redis.call('HSET', key, a, b)
    elseif op == 'hdel' then redis.call('HDEL', key, a)
    elseif op == 'push' then
      redis.call('RPUSH', key, a)
      redis.call('LTRIM', key, -tonumber(b), -1)
    elseif op == 'del' then redis.call('DEL', key)
    elseif op == 'release' then
      if redis.call('GET', key) == a then redis.call('DEL', key) end
    end
  end
end
`;
