// TLS files for `serve`, and Bun's refusal of them said in one line.
import { errorCode } from "../errors.ts";

/** PEM text, read by cmd/ from --tls-cert and --tls-key. */
export interface TlsFiles {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** Why Bun.listen refused the certificate or key, or undefined if the error is about something else. */
export function tlsError(error: unknown, files: TlsFiles): string | undefined {
  const code = errorCode(error);
  if (code === "ERR_OSSL_X509_KEY_VALUES_MISMATCH") return `the key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`;
  if (code.startsWith("ERR_OSSL_")) return `cannot use ${files.certFile} and ${files.keyFile} as a PEM certificate and key (${code})`;
  return undefined;
}
