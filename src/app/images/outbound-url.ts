/**
 * The rule for every URL the service fetches or posts to on a caller's behalf (image URLs,
 * webhooks; docs/api.md): absolute, https, no credentials — plain http only to this machine, and
 * only when the given development flag is on.
 */
import { invalidRequest } from "../errors";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export interface OutboundUrlRule {
  /** The request field, e.g. `image.url`, named in errors. */
  param: string;
  code: string;
  /** Whether the development flag allowing plain http to localhost is on. */
  allowLocalHttp: boolean;
  /** Name of that flag, for the error's hint. */
  flag: string;
}

export function checkOutboundUrl(raw: string, rule: OutboundUrlRule): URL {
  const { param, code } = rule;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidRequest(`${param}: is not a valid absolute URL`, param, code);
  }
  if (url.username || url.password)
    throw invalidRequest(`${param}: must not contain credentials (user:password@)`, param, code);
  const devHttp = rule.allowLocalHttp && url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !devHttp) {
    const hint =
      url.protocol === "http:" ? ` (plain http is allowed only to localhost with ${rule.flag}="1" in development)` : "";
    throw invalidRequest(`${param}: must use https (received ${url.protocol.replace(/:$/, "")})${hint}`, param, code);
  }
  return url;
}
