// How the terminal client shows events: stable colours per name, own lines marked, optional timestamps.
import type { Timed } from "./session.ts";
import { describePresence, renderPlain, type Words } from "../wire/messages.ts";
import { colorOf } from "../wire/palette.ts";

export interface Look {
  /** Our current name: our own lines are marked. */
  self?: string;
  color: boolean;
  timestamps: boolean;
  words: Words;
}

const RESET = "\x1b[0m";

/** Marks our own chat lines, with or without colour. */
const OWN_MARK = "» ";

/** Text in an SGR style (2 dim, 33 yellow, "1;33"…); as is without colour. */
export function styled(look: Look, code: string | number, text: string): string {
  return look.color ? `\x1b[${code}m${text}${RESET}` : text;
}

/** A name in its colour, ours in bold too; as is without colour. */
export function paintName(who: string, look: Look): string {
  return styled(look, `${who === look.self ? "1;" : ""}${colorOf(who)}`, who);
}

/** `[14:02]`, local time: live lines (with --timestamps) and history lines alike, so the two read as one transcript. */
function clock(ts: number): string {
  const d = new Date(ts);
  const two = (n: number) => String(n).padStart(2, "0");
  return `[${two(d.getHours())}:${two(d.getMinutes())}]`;
}

export function formatEvent(event: Timed, look: Look): string[] {
  const paint = (code: string | number, text: string) => styled(look, code, text);
  const name = (who: string) => paintName(who, look);
  const dim = (text: string) => paint(2, text);
  const stamp = look.timestamps ? `${dim(clock(event.ts))} ` : "";
  switch (event.type) {
    case "message": {
      const own = event.from === look.self;
      return [`${stamp}${own ? paint(1, OWN_MARK) : ""}${name(event.from)}: ${event.text}`];
    }
    case "me":
      return [`${stamp}${event.from === look.self ? OWN_MARK : ""}* ${name(event.from)} ${event.text}`];
    case "private":
      return [`${stamp}${paint(35, "*")} ${name(event.from)} -> ${name(event.to)}: ${event.text}`];
    case "history":
      return event.lines.map((said) => {
        const when = dim(clock(said.ts));
        return said.type === "me" ? `${when} * ${name(said.from)} ${said.text}` : `${when} ${name(said.from)}: ${said.text}`;
      });
    case "welcome": {
      const lines = [dim(look.words.youAre(event.name))];
      // Arriving straight in another room (--room) is said as a move is.
      if (event.room !== undefined && event.room !== "#main") lines.push(paint("1;33", `* ${look.words.notice.nowIn(event.room)}`));
      if (event.present.length > 0) lines.push(dim(look.words.present(event.present.map(describePresence))));
      if (event.topic !== undefined) lines.push(paint(33, `* ${look.words.notice.topic(event.topic)}`));
      for (const line of event.motd) lines.push(paint(33, `* ${line}`));
      return lines;
    }
    case "notice":
      return [`${stamp}${paint(33, `* ${event.text}`)}`];
    case "room": {
      // Moving is a change of scene: said as a notice, then who is there, as on arrival.
      const lines = [`${stamp}${paint("1;33", `* ${look.words.notice.nowIn(event.room)}`)}`];
      if (event.topic !== undefined) lines.push(paint(33, `* ${look.words.notice.topic(event.topic)}`));
      if (event.present.length > 0) lines.push(dim(look.words.present(event.present.map(describePresence))));
      return lines;
    }
    case "topic":
    case "rooms":
      return renderPlain(event, look.words).map((line) => `${stamp}${paint(33, line)}`);
    default:
      return renderPlain(event, look.words).map((line) => `${stamp}${dim(line)}`);
  }
}
