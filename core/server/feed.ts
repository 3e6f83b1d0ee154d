// The room's broadcasts for server.ts: two channels (plain and JSON), so a line is laid down once per form and every outbox writes it from there.
import type { Audience, Line } from "../chat/audience.ts";
import { Channel } from "./channel.ts";
import type { Member } from "../chat/member.ts";
import type { Outbox } from "./outbox.ts";
import type { Turn } from "./turn.ts";

export class Feed implements Audience {
  readonly #plain: Channel;
  readonly #json: Channel;
  readonly #outboxOf: (member: Member) => Outbox;
  readonly #delivered: (count: number) => void;

  /**
   * outboxOf: the outbox of a member the hub was given (server.ts gives it only its connections);
   * delivered: told how many members each line goes to (for the metrics).
   */
  constructor(turn: Turn, outboxOf: (member: Member) => Outbox, delivered: (count: number) => void = () => {}) {
    this.#plain = new Channel(turn);
    this.#json = new Channel(turn);
    this.#outboxOf = outboxOf;
    this.#delivered = delivered;
  }

  add(member: Member, json: boolean): void {
    this.#outboxOf(member).subscribe(json ? this.#json : this.#plain);
  }

  delete(member: Member): void {
    this.#outboxOf(member).subscribe(undefined);
  }

  send(line: Line): void {
    // A form nobody reads is not rendered.
    if (this.#plain.readers.size > 0) this.#plain.append(line.bytes(false));
    if (this.#json.readers.size > 0) this.#json.append(line.bytes(true));
    this.#delivered(this.#plain.readers.size + this.#json.readers.size);
  }
}
