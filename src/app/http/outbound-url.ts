/**
 * The rule for every URL the service fetches or posts to on a caller's behalf (image URLs,
 * webhooks; docs/security.md): absolute, https, no credentials, and a host that is on the public
 * internet. Loopback, private, link-local, CGNAT, multicast, reserved and unspecified addresses
 * are refused in every spelling — WHATWG URL parsing first turns decimal, hex, octal and short
 * IPv4 forms into dotted quads and compresses IPv6 — as are the IPv6 forms that carry an IPv4
 * address (mapped, NAT64, 6to4, Teredo, IPv4-compatible), names that mean this machine or a local
 * network (`localhost`, `*.local`, `*.internal`, single-label names), cloud metadata names, and
 * wildcard-DNS names that spell a refused address (`10-0-0-1.nip.io`). All of it is decided from
 * the URL alone, before any connection. Plain http only to loopback, and only when the given
 * development flag is on.
 */
import ipaddr from "ipaddr.js";
import { invalidRequest } from "../errors";

export interface OutboundUrlRule {
  /** The request field, e.g. `image.url`, named in errors. */
  param: string;
  code: string;
  /** Whether the development flag allowing plain http to loopback is on. */
  allowLocalHttp: boolean;
  /** Name of that flag, for the error's hint. */
  flag: string;
}

/** Names that resolve to this machine, a local network or a metadata service, whatever DNS says. */
const LOCAL_SUFFIXES = [
  "localhost",
  "local",
  "localdomain",
  "internal",
  "intranet",
  "lan",
  "home",
  "corp",
  "home.arpa",
  "in-addr.arpa",
  "ip6.arpa",
  // Public names that always resolve to 127.0.0.1.
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "lacolhost.com",
];

/** Whether an address is one the service must never connect to, and why (null: a public unicast address). */
export function refusedAddress(address: string): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return null;
  }
  const range = ip.range();
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    // ::a.b.c.d (IPv4-compatible, deprecated) reads as unicast; the first 96 bits are zero.
    if (range === "unicast" && v6.parts.slice(0, 6).every((p) => p === 0)) return "an IPv4-compatible IPv6 address";
    if (range !== "unicast") return `an IPv6 address in a ${describe(range)} range`;
    return null;
  }
  return range === "unicast" ? null : `an IPv4 address in a ${describe(range)} range`;
}

function describe(range: string): string {
  const names: Record<string, string> = {
    loopback: "loopback",
    private: "private",
    linkLocal: "link-local",
    carrierGradeNat: "carrier-grade NAT",
    multicast: "multicast",
    unspecified: "unspecified",
    broadcast: "broadcast",
    reserved: "reserved",
    uniqueLocal: "unique-local",
    ipv4Mapped: "IPv4-mapped",
    rfc6052: "NAT64",
    rfc6145: "IPv4-translated",
    "6to4": "6to4",
    teredo: "Teredo",
    deprecatedSiteLocal: "site-local",
    discard: "discard",
    benchmarking: "benchmarking",
  };
  return names[range] ?? range;
}

/** Four decimal octets in a name, e.g. `10-0-0-1.nip.io` or `app.127.0.0.1.sslip.io`. */
const EMBEDDED_IPV4 = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=$|[.-])/g;

/** Why a host (as `URL.hostname` gives it) must not be reached, or null. */
export function refusedHost(hostname: string): string | null {
  const host = hostname.replace(/\.$/, "").toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) return refusedAddress(host.slice(1, -1));
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return refusedAddress(host);
  if (host === "") return "an empty host";
  const suffix = LOCAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix) return `a name under .${suffix}, which does not leave this machine or its network`;
  if (!host.includes(".")) return "a single-label name (it resolves on a local network, if at all)";
  if (host.startsWith("metadata.") || host.startsWith("instance-data.")) return "a cloud metadata name";
  for (const m of host.matchAll(EMBEDDED_IPV4)) {
    const dotted = m.slice(1, 5).join(".");
    if (ipaddr.IPv4.isValidFourPartDecimal(dotted)) {
      const why = refusedAddress(dotted);
      if (why) return `a name that spells ${dotted}, ${why}`;
    }
  }
  return null;
}

const isLoopback = (hostname: string): boolean => {
  const host = hostname.replace(/\.$/, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const bare = host.startsWith("[") ? host.slice(1, -1) : host;
  return ipaddr.isValid(bare) && ipaddr.parse(bare).range() === "loopback";
};

export function checkOutboundUrl(raw: string, rule: OutboundUrlRule, via = ""): URL {
  const { code } = rule;
  // In messages: `image.url` or `image.url (redirected to …)`; the error's param stays the field.
  const param = via ? `${rule.param} (${via})` : rule.param;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidRequest(`${param}: is not a valid absolute URL`, rule.param, code);
  }
  if (url.username || url.password)
    throw invalidRequest(`${param}: must not contain credentials (user:password@)`, rule.param, code);
  const devHttp = rule.allowLocalHttp && url.protocol === "http:" && isLoopback(url.hostname);
  if (devHttp) return url;
  if (url.protocol !== "https:") {
    const hint =
      url.protocol === "http:" ? ` (plain http is allowed only to loopback with ${rule.flag}="1" in development)` : "";
    throw invalidRequest(
      `${param}: must use https (received ${url.protocol.replace(/:$/, "")})${hint}`,
      rule.param,
      code,
    );
  }
  const refused = refusedHost(url.hostname);
  if (refused)
    throw invalidRequest(
      `${param}: the host ${url.hostname} is not on the public internet (${refused}); the service only connects to public hosts`,
      rule.param,
      code,
    );
  return url;
}

/** Redirects followed for one outbound fetch, each hop checked by the same rule. */
export const MAX_REDIRECTS = 3;

/**
 * `fetch` that follows redirects itself: each `Location` is checked with `checkOutboundUrl` before
 * it is requested, so a public URL cannot bounce the service to an internal one; more than
 * MAX_REDIRECTS hops is an error.
 */
export async function fetchChecked(
  url: URL,
  init: RequestInit,
  rule: OutboundUrlRule,
  fetcher: typeof fetch = fetch,
): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await fetcher(current.toString(), { ...init, redirect: "manual" });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("Location") : null;
    if (location === null) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS)
      throw invalidRequest(
        `${rule.param}: more than ${MAX_REDIRECTS} redirects (limit: ${MAX_REDIRECTS})`,
        rule.param,
        rule.code,
      );
    let next: string;
    try {
      next = new URL(location, current).toString();
    } catch {
      throw invalidRequest(`${rule.param}: a redirect to an invalid URL`, rule.param, rule.code);
    }
    current = checkOutboundUrl(next, rule, `redirected to ${next}`);
  }
}
