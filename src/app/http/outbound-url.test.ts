import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { checkOutboundUrl, fetchChecked, MAX_REDIRECTS, refusedHost, type OutboundUrlRule } from "./outbound-url";

const RULE: OutboundUrlRule = { param: "image.url", code: "invalid_image_url", allowLocalHttp: false, flag: "X" };
const DEV: OutboundUrlRule = { ...RULE, allowLocalHttp: true };

/** Every way we know to write an address that must not be reached, and what it is. */
export const REFUSED_URLS: [string, RegExp][] = [
  // IPv4 loopback, in every spelling WHATWG URL accepts
  ["https://127.0.0.1/x.png", /loopback/],
  ["https://127.1/x.png", /loopback/],
  ["https://2130706433/x.png", /loopback/],
  ["https://0x7f000001/x.png", /loopback/],
  ["https://0x7f.0.0.1/x.png", /loopback/],
  ["https://0177.0.0.1/x.png", /loopback/],
  ["https://017700000001/x.png", /loopback/],
  ["https://127.0.0.1./x.png", /loopback/],
  ["https://127.255.255.254:8443/x.png", /loopback/],
  // unspecified, private, link-local (metadata), CGNAT, multicast, reserved, broadcast
  ["https://0.0.0.0/x.png", /unspecified/],
  ["https://0/x.png", /unspecified/],
  ["https://10.0.0.1/x.png", /private/],
  ["https://172.16.5.4/x.png", /private/],
  ["https://192.168.1.1/x.png", /private/],
  ["https://169.254.169.254/latest/meta-data/", /link-local/],
  ["https://100.64.0.1/x.png", /carrier-grade NAT/],
  ["https://100.100.100.200/x.png", /carrier-grade NAT/],
  ["https://224.0.0.1/x.png", /multicast/],
  ["https://240.0.0.1/x.png", /reserved/],
  ["https://255.255.255.255/x.png", /broadcast/],
  ["https://192.0.0.192/x.png", /reserved/],
  ["https://198.18.0.1/x.png", /reserved/],
  // IPv6: loopback, unspecified, mapped, NAT64, 6to4, Teredo, IPv4-compatible, ULA, link-local, multicast
  ["https://[::1]/x.png", /loopback/],
  ["https://[0:0:0:0:0:0:0:1]/x.png", /loopback/],
  ["https://[::]/x.png", /unspecified/],
  ["https://[::ffff:127.0.0.1]/x.png", /IPv4-mapped/],
  ["https://[::ffff:7f00:1]/x.png", /IPv4-mapped/],
  ["https://[::ffff:169.254.169.254]/x.png", /IPv4-mapped/],
  ["https://[64:ff9b::7f00:1]/x.png", /NAT64/],
  ["https://[64:ff9b::a9fe:a9fe]/x.png", /NAT64/],
  ["https://[64:ff9b:1::a00:1]/x.png", /NAT64/],
  ["https://[2002:7f00:1::]/x.png", /6to4/],
  ["https://[2001::1]/x.png", /Teredo/],
  ["https://[::127.0.0.1]/x.png", /IPv4-compatible/],
  ["https://[fd00:ec2::254]/x.png", /unique-local/],
  ["https://[fc00::1]/x.png", /unique-local/],
  ["https://[fe80::1]/x.png", /link-local/],
  ["https://[ff02::1]/x.png", /multicast/],
  // names
  ["https://localhost/x.png", /\.localhost/],
  ["https://LOCALHOST./x.png", /\.localhost/],
  ["https://api.localhost/x.png", /\.localhost/],
  ["https://printer.local/x.png", /\.local/],
  ["https://metadata.google.internal/computeMetadata/v1/", /\.internal/],
  ["https://metadata/x.png", /single-label/],
  ["https://intranet/x.png", /\.intranet/],
  ["https://fileserver/x.png", /single-label/],
  ["https://router.home.arpa/x.png", /\.home\.arpa/],
  ["https://localtest.me/x.png", /\.localtest\.me/],
  ["https://a.lvh.me/x.png", /\.lvh\.me/],
  ["https://127.0.0.1.nip.io/x.png", /spells 127\.0\.0\.1/],
  ["https://app-10-0-0-1.sslip.io/x.png", /spells 10\.0\.0\.1/],
  ["https://169-254-169-254.nip.io/x.png", /spells 169\.254\.169\.254/],
];

describe("checkOutboundUrl refuses hosts that are not on the public internet", () => {
  it.each(REFUSED_URLS)("%s", (url, why) => {
    let error: unknown;
    try {
      checkOutboundUrl(url, RULE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    const message = (error as ApiError).message;
    expect(message).toMatch(/^image\.url: the host .* is not on the public internet/);
    expect(message).toMatch(why);
    expect((error as ApiError).param).toBe("image.url");
  });

  it.each([
    "https://example.com/x.png",
    "https://images.example.org:8443/a/b.png?x=1",
    "https://8.8.8.8/x.png",
    "https://1.1.1.1/x.png",
    "https://[2606:4700:4700::1111]/x.png",
    "https://cdn.10-0-0-1x.example.com/x.png",
    "https://v1.2.3.example.com/x.png",
  ])("accepts %s", (url) => {
    expect(checkOutboundUrl(url, RULE).toString()).toBe(new URL(url).toString());
  });

  it("plain http: only to loopback, only with the development flag", () => {
    expect(() => checkOutboundUrl("http://127.0.0.1:8787/x.png", RULE)).toThrow(/must use https/);
    expect(checkOutboundUrl("http://127.0.0.1:8787/x.png", DEV).hostname).toBe("127.0.0.1");
    expect(checkOutboundUrl("http://localhost:8787/x.png", DEV).hostname).toBe("localhost");
    expect(checkOutboundUrl("http://[::1]:8787/x.png", DEV).hostname).toBe("[::1]");
    expect(() => checkOutboundUrl("http://10.0.0.1/x.png", DEV)).toThrow(/must use https.*only to loopback/);
    expect(() => checkOutboundUrl("http://example.com/x.png", DEV)).toThrow(/must use https/);
    // The flag is about plain http for local development; https to loopback stays refused.
    expect(() => checkOutboundUrl("https://127.0.0.1:8443/x.png", DEV)).toThrow(/loopback/);
  });
});

describe("refusedHost", () => {
  it("names why", () => {
    expect(refusedHost("10.1.2.3")).toMatch(/private/);
    expect(refusedHost("example.com")).toBeNull();
  });
});

describe("fetchChecked follows redirects itself, checking every hop before it is requested", () => {
  const redirect = (to: string) => new Response(null, { status: 302, headers: { Location: to } });

  it("refuses a redirect to an internal address without requesting it", async () => {
    const requested: string[] = [];
    const fetcher = (async (url: string) => {
      requested.push(url);
      return redirect("https://169.254.169.254/latest/meta-data/");
    }) as unknown as typeof fetch;
    await expect(fetchChecked(new URL("https://example.com/a.png"), {}, RULE, fetcher)).rejects.toThrow(
      /image\.url \(redirected to https:\/\/169\.254\.169\.254\/latest\/meta-data\/\): the host .* link-local/,
    );
    expect(requested).toEqual(["https://example.com/a.png"]);
  });

  it("refuses a redirect that downgrades to plain http", async () => {
    const fetcher = (async () => redirect("http://example.com/a.png")) as unknown as typeof fetch;
    await expect(fetchChecked(new URL("https://example.com/a.png"), {}, RULE, fetcher)).rejects.toThrow(
      /must use https/,
    );
  });

  it("follows relative and absolute redirects to public hosts, at most MAX_REDIRECTS", async () => {
    const requested: string[] = [];
    const fetcher = (async (url: string, init: RequestInit) => {
      expect(init.redirect).toBe("manual");
      requested.push(url);
      if (url.endsWith("/a.png")) return redirect("/b.png");
      if (url.endsWith("/b.png")) return redirect("https://cdn.example.net/c.png");
      return new Response("ok");
    }) as unknown as typeof fetch;
    const res = await fetchChecked(new URL("https://example.com/a.png"), {}, RULE, fetcher);
    expect(await res.text()).toBe("ok");
    expect(requested).toEqual([
      "https://example.com/a.png",
      "https://example.com/b.png",
      "https://cdn.example.net/c.png",
    ]);

    let hops = 0;
    const loop = (async () => redirect(`https://example.com/${++hops}.png`)) as unknown as typeof fetch;
    await expect(fetchChecked(new URL("https://example.com/0.png"), {}, RULE, loop)).rejects.toThrow(
      new RegExp(`more than ${MAX_REDIRECTS} redirects`),
    );
    expect(hops).toBe(MAX_REDIRECTS + 1);
  });
});
