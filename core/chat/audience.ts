// How a broadcast reaches the room: who gets it, in which form, and the plain way of handing each member a copy.
import type { Member } from "./member.ts";

/** A line for everyone, in the form each member reads: rendered at most once per form. */
export interface Line {
  bytes(json: boolean): Uint8Array;
}

/**
 * Everyone a broadcast goes to. The hub adds a member once it is in the room and deletes it
 * when it leaves; in between, every broadcast reaches it in order with what is sent to it alone.
 */
export interface Audience {
  /** member gets every broadcast from now on, as plain text or JSON (adding again switches). */
  add(member: Member, json: boolean): void;
  /** member gets no broadcast from now on. */
  delete(member: Member): void;
  send(line: Line): void;
}

/** Hands every member its copy: fine for tests and small rooms; server.ts shares one copy (feed.ts). */
export class EachMember implements Audience {
  readonly #members = new Map<Member, boolean>();

  add(member: Member, json: boolean): void {
    this.#members.set(member, json);
  }

  delete(member: Member): void {
    this.#members.delete(member);
  }

  send(line: Line): void {
    let plain: Uint8Array | undefined;
    let json: Uint8Array | undefined;
    for (const [member, wantsJson] of this.#members)
      member.send(wantsJson ? (json ??= line.bytes(true)) : (plain ??= line.bytes(false)));
  }
}
