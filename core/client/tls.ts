// The client's trust settings for `connect --tls`, and a failed handshake said in one line.
import { errorCode, formatAddress } from "../errors.ts";

/** connect --tls: trust the system's CAs, or only --ca, or (--insecure) anything. */
export interface TlsTrust {
  ca?: string;
  caFile?: string;
  insecure?: boolean;
}

/** A failed handshake as the user should read it: what went wrong with whom, and what to try. */
export function handshakeError(error: Error | null | undefined, host: string, port: number, trust: TlsTrust): string {
  const where = formatAddress(host, port);
  const code = errorCode(error);
  const detail = error?.message ?? "the connection closed during the handshake";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `the certificate of ${where} is not for ${host}: ${detail}`;
  if (code === "EPROTO" || /WRONG_VERSION_NUMBER|wrong version number/i.test(detail))
    return `TLS handshake with ${where} failed: it does not seem to speak TLS (${detail})`;
  if (code.startsWith("UNABLE_TO") || code.includes("CERT") || code.includes("SELF_SIGNED"))
    return `the certificate of ${where} is not trusted: ${detail}${trust.ca ? ` (checked against ${trust.caFile})` : "; for a private CA use --ca FILE"}`;
  return `TLS handshake with ${where} failed: ${detail}`;
}
