// Who may connect at all: --allow and --deny lists of CIDR ranges, deny first.
import { contains, type Cidr, type Ip } from "../wire/cidr.ts";

export class AccessList {
  readonly #allow: readonly Cidr[];
  readonly #deny: readonly Cidr[];

  /** An empty allow list allows everyone not denied. */
  constructor(allow: readonly Cidr[] = [], deny: readonly Cidr[] = []) {
    this.#allow = allow;
    this.#deny = deny;
  }

  /** Everyone may connect: nobody's address need even be read. */
  get empty(): boolean {
    return this.#allow.length === 0 && this.#deny.length === 0;
  }

  /** Deny wins over allow, so `--allow 10.0.0.0/8 --deny 10.6.6.6` keeps 10.6.6.6 out. */
  permits(ip: Ip | undefined): boolean {
    if (this.empty) return true;
    if (!ip) return false; // an address we cannot read matches no allow entry and might match a deny one
    if (this.#deny.some((range) => contains(range, ip))) return false;
    return this.#allow.length === 0 || this.#allow.some((range) => contains(range, ip));
  }
}
