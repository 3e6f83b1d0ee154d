// A password kept only as its digest and compared in constant time: the room's and the operators'.

/** node:crypto, loaded by the first password: loading it costs a server about 7 MB, which a room without one keeps. */
const crypto = () => require("node:crypto") as typeof import("node:crypto");

/** A password kept only as its digest. Digests have one length, so comparing them takes the same time whatever the answer. */
export class Secret {
  readonly #digest: Buffer;

  constructor(password: string) {
    this.#digest = digest(password);
  }

  matches(answer: string): boolean {
    return crypto().timingSafeEqual(digest(answer), this.#digest);
  }
}

function digest(text: string): Buffer {
  return crypto().createHash("sha256").update(text, "utf8").digest();
}
