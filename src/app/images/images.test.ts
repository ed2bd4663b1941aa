import { describe, expect, it } from "vitest";
import {
  GIF_8x6_B64,
  JPEG_8x6_B64,
  PNG_8x6_B64,
  fromBase64,
  jpegClaiming,
  pngClaiming,
  toBase64,
} from "../../../test/fixtures/images";
import { ApiError } from "../errors";
import { checkImageUrl, decodeInlineImage, fetchImage } from "./images";
import { MAX_IMAGE_BYTES } from "../http/limits";

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

async function apiErrorAsync(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("decodeInlineImage", () => {
  it("returns the bytes with the sniffed type", () => {
    const png = decodeInlineImage(PNG_8x6_B64, "image/png");
    expect(png.media_type).toBe("image/png");
    expect(png.bytes).toEqual(fromBase64(PNG_8x6_B64));
    expect(decodeInlineImage(JPEG_8x6_B64, "IMAGE/JPEG").media_type).toBe("image/jpeg");
  });

  it("415 for a media type other than png/jpeg, before decoding", () => {
    const e = apiError(() => decodeInlineImage(GIF_8x6_B64, "image/gif"));
    expect(e.status).toBe(415);
    expect(e.message).toMatch(/media_type "image\/gif" is not supported \(supported: image\/png, image\/jpeg\)/);
  });

  it("400 naming both types when the bytes are not the declared type", () => {
    const e = apiError(() => decodeInlineImage(PNG_8x6_B64, "image/jpeg"));
    expect([e.status, e.code, e.param]).toEqual([400, "image_type_mismatch", "image.data"]);
    expect(e.message).toMatch(/bytes are image\/png, but media_type says image\/jpeg/);
    expect(apiError(() => decodeInlineImage(GIF_8x6_B64, "image/png")).message).toMatch(
      /bytes are image\/gif, but media_type says image\/png/,
    );
    expect(apiError(() => decodeInlineImage(btoa("hello world!"), "image/png")).message).toMatch(
      /not a PNG or JPEG image/,
    );
  });

  it("400 for invalid base64 with the reason", () => {
    const e = apiError(() => decodeInlineImage(`data:image/png;base64,${PNG_8x6_B64}`, "image/png"));
    expect([e.status, e.code]).toEqual([400, "invalid_base64"]);
    expect(e.message).toMatch(/data URL/);
  });

  it("enforces the pixel limit and the 1×1 minimum", () => {
    expect(apiError(() => decodeInlineImage(toBase64(pngClaiming(4097, 4096)), "image/png")).message).toMatch(
      /4097×4096 = 16781312 pixels \(limit: ≤ 16777216 pixels\)/,
    );
    expect(decodeInlineImage(toBase64(pngClaiming(4096, 4096)), "image/png").media_type).toBe("image/png");
    expect(apiError(() => decodeInlineImage(toBase64(jpegClaiming(0, 6)), "image/jpeg")).message).toMatch(
      /0×6 \(limit: at least 1×1/,
    );
  });

  it("400 for a truncated header", () => {
    const truncated = toBase64(fromBase64(PNG_8x6_B64).subarray(0, 18));
    expect(apiError(() => decodeInlineImage(truncated, "image/png")).message).toMatch(/truncated/);
  });

  it("413 for more than 4 MiB, judged from the base64 length", () => {
    const e = apiError(() => decodeInlineImage("A".repeat(((MAX_IMAGE_BYTES + 3) / 3) * 4), "image/png"));
    expect(e.status).toBe(413);
    expect(e.message).toMatch(/limit: image ≤ 4 MiB/);
  });
});

describe("checkImageUrl", () => {
  const off = {};
  const dev = { ALLOW_HTTP_IMAGE_URLS: "1" };
  it("allows https, and http to localhost only with the dev flag", () => {
    expect(checkImageUrl("https://example.com/a.png", off).hostname).toBe("example.com");
    expect(checkImageUrl("http://127.0.0.1:8080/a.png", dev).port).toBe("8080");
    expect(apiError(() => checkImageUrl("http://127.0.0.1/a.png", off)).message).toMatch(
      /must use https \(received http\)/,
    );
    expect(apiError(() => checkImageUrl("http://example.com/a.png", dev)).message).toMatch(/must use https/);
  });

  it("rejects credentials, other schemes and junk", () => {
    expect(apiError(() => checkImageUrl("https://u:p@example.com/a.png", off)).message).toMatch(/credentials/);
    expect(apiError(() => checkImageUrl("ftp://example.com/a.png", off)).message).toMatch(/https \(received ftp\)/);
    expect(apiError(() => checkImageUrl("not a url", off)).message).toMatch(/not a valid absolute URL/);
  });
});

describe("fetchImage", () => {
  const env = {};
  const serve =
    (body: BodyInit | null, init: ResponseInit = {}): typeof fetch =>
    async () =>
      new Response(body, init);

  it("fetches and sniffs the image", async () => {
    const img = await fetchImage("https://img.test/a", env, {
      fetcher: serve(fromBase64(JPEG_8x6_B64), { headers: { "Content-Type": "application/octet-stream" } }),
    });
    expect(img.media_type).toBe("image/jpeg");
  });

  it("400 naming the status for non-2xx", async () => {
    const e = await apiErrorAsync(fetchImage("https://img.test/a", env, { fetcher: serve("nope", { status: 404 }) }));
    expect(e.message).toMatch(/failed with HTTP 404/);
  });

  it("refuses a redirect to plain http, checked before it is followed", async () => {
    const seen: string[] = [];
    const redirecting: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response(null, { status: 302, headers: { Location: "http://img.test/b" } });
    };
    const e = await apiErrorAsync(fetchImage("https://img.test/a", env, { fetcher: redirecting }));
    expect(e.message).toMatch(/must use https/);
    expect(seen).toEqual(["https://img.test/a"]);
  });

  it("413 from Content-Length or while streaming", async () => {
    const big = serve(null, { headers: { "Content-Length": String(MAX_IMAGE_BYTES + 1) } });
    expect((await apiErrorAsync(fetchImage("https://img.test/a", env, { fetcher: big }))).status).toBe(413);
    const chunk = new Uint8Array(1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(chunk);
        c.close();
      },
    });
    expect((await apiErrorAsync(fetchImage("https://img.test/a", env, { fetcher: serve(stream) }))).status).toBe(413);
  });

  it("415 for a GIF at the URL", async () => {
    expect(
      (await apiErrorAsync(fetchImage("https://img.test/a.gif", env, { fetcher: serve(fromBase64(GIF_8x6_B64)) })))
        .status,
    ).toBe(415);
  });

  it("400 when the server is too slow", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const e = await apiErrorAsync(fetchImage("https://img.test/a", env, { fetcher: hanging, timeoutMs: 50 }));
    expect([e.status, e.code]).toEqual([400, "image_fetch_timeout"]);
    expect(e.message).toMatch(/took longer than 0.05 s/);
  });

  it("400 when the fetch itself fails", async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError("connection refused");
    };
    expect((await apiErrorAsync(fetchImage("https://img.test/a", env, { fetcher: failing }))).message).toMatch(
      /failed \(connection refused\)/,
    );
  });
});
