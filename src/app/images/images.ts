/**
 * Turning the request's `image` into checked bytes (`ImageInput`) before any run exists:
 * inline base64 or an https URL, the real type sniffed from the bytes, the pixel count bounded.
 */
import type { Env } from "../../env";
import type { ImageInput } from "../../inference/backend";
import { decodeImage } from "../../inference/embedded/image";
import { decodeBase64, decodedLength } from "../http/base64";
import { readCapped } from "../http/body";
import { ApiError, invalidRequest } from "../errors";
import { checkOutboundUrl, fetchChecked, type OutboundUrlRule } from "../http/outbound-url";
import { jpegDimensions, pngDimensions, sniffImageType } from "./image-sniff";
import { IMAGE_FETCH_TIMEOUT_MS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, formatBytes } from "../http/limits";
import type { ImageBody } from "../runs/schemas";

export const SUPPORTED_IMAGE_TYPES = ["image/png", "image/jpeg"] as const;
type Supported = (typeof SUPPORTED_IMAGE_TYPES)[number];
const isSupported = (t: string): t is Supported => (SUPPORTED_IMAGE_TYPES as readonly string[]).includes(t);

const tooLarge = (param: string, size?: number) =>
  new ApiError(
    413,
    "invalid_request_error",
    `${param}: image is ${size === undefined ? "larger than the limit" : formatBytes(size)} (limit: image ≤ ${formatBytes(MAX_IMAGE_BYTES)})`,
    { param, code: "image_too_large" },
  );

const unsupported = (param: string, what: string) =>
  new ApiError(
    415,
    "invalid_request_error",
    `${param}: ${what} is not supported (supported: ${SUPPORTED_IMAGE_TYPES.join(", ")})`,
    {
      param,
      code: "unsupported_image_type",
    },
  );

/** Check the bytes are a PNG or JPEG (the declared one, when declared) of an allowed size. */
export function checkImageBytes(bytes: Uint8Array, param: string, declared?: Supported): ImageInput {
  const sniffed = sniffImageType(bytes);
  if (declared && sniffed !== declared) {
    throw invalidRequest(
      `${param}: bytes are ${sniffed ?? "not a PNG or JPEG image"}, but media_type says ${declared}`,
      param,
      "image_type_mismatch",
    );
  }
  if (!sniffed) throw invalidRequest(`${param}: bytes are not a PNG or JPEG image`, param, "invalid_image");
  if (!isSupported(sniffed)) throw unsupported(param, `image type ${sniffed}`);
  const dims = sniffed === "image/png" ? pngDimensions(bytes) : jpegDimensions(bytes);
  if (!dims.ok) throw invalidRequest(`${param}: ${dims.message}`, param, "invalid_image");
  if (dims.width < 1 || dims.height < 1) {
    throw invalidRequest(
      `${param}: image is ${dims.width}×${dims.height} (limit: at least 1×1 pixels)`,
      param,
      "invalid_image",
    );
  }
  const pixels = dims.width * dims.height;
  if (pixels > MAX_IMAGE_PIXELS) {
    throw invalidRequest(
      `${param}: image is ${dims.width}×${dims.height} = ${pixels} pixels (limit: ≤ ${MAX_IMAGE_PIXELS} pixels)`,
      param,
      "image_too_many_pixels",
    );
  }
  return { bytes, media_type: sniffed };
}

export function decodeInlineImage(data: string, mediaType: string): ImageInput {
  const declared = mediaType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (!isSupported(declared)) throw unsupported("image.media_type", `media_type "${mediaType}"`);
  // Reject oversized data before spending memory on decoding it.
  if (decodedLength(data) > MAX_IMAGE_BYTES) throw tooLarge("image.data", decodedLength(data));
  const decoded = decodeBase64(data);
  if (!decoded.ok) throw invalidRequest(`image.data ${decoded.message}`, "image.data", "invalid_base64");
  return checkImageBytes(decoded.bytes, "image.data", declared);
}

/** https only; plain http only to this machine, and only when the dev flag is on (docs/api.md). */
export function checkImageUrl(raw: string, env: Pick<Env, "ALLOW_HTTP_IMAGE_URLS">): URL {
  return checkOutboundUrl(raw, imageUrlRule(env));
}

const imageUrlRule = (env: Pick<Env, "ALLOW_HTTP_IMAGE_URLS">): OutboundUrlRule => ({
  param: "image.url",
  code: "invalid_image_url",
  allowLocalHttp: env.ALLOW_HTTP_IMAGE_URLS === "1",
  flag: "ALLOW_HTTP_IMAGE_URLS",
});

export interface FetchImageOptions {
  /** Injected in tests; the global fetch otherwise. */
  fetcher?: typeof fetch;
  timeoutMs?: number;
}

export async function fetchImage(
  raw: string,
  env: Pick<Env, "ALLOW_HTTP_IMAGE_URLS">,
  options: FetchImageOptions = {},
): Promise<ImageInput> {
  const { fetcher = fetch, timeoutMs = IMAGE_FETCH_TIMEOUT_MS } = options;
  const url = checkImageUrl(raw, env);
  const param = "image.url";
  // One deadline for the whole exchange: headers and body (a slow drip must not hold the request).
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // Redirects are followed one hop at a time, each checked like the first URL.
    const res = await fetchChecked(
      url,
      { signal, headers: { Accept: SUPPORTED_IMAGE_TYPES.join(", ") } },
      imageUrlRule(env),
      fetcher,
    );
    if (!res.ok) {
      await res.body?.cancel();
      throw invalidRequest(`image.url: fetching the image failed with HTTP ${res.status}`, param, "image_fetch_failed");
    }
    const declared = res.headers.get("Content-Length");
    if (declared !== null && /^\d+$/.test(declared) && Number(declared) > MAX_IMAGE_BYTES) {
      await res.body?.cancel();
      throw tooLarge(param, Number(declared));
    }
    const bytes = res.body ? await readCapped(res.body, MAX_IMAGE_BYTES, () => tooLarge(param)) : new Uint8Array(0);
    return checkImageBytes(bytes, param);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (signal.aborted) {
      throw invalidRequest(
        `image.url: fetching the image took longer than ${timeoutMs / 1000} s (limit: ${IMAGE_FETCH_TIMEOUT_MS / 1000} s)`,
        param,
        "image_fetch_timeout",
      );
    }
    throw invalidRequest(
      `image.url: fetching the image failed (${e instanceof Error ? e.message : String(e)})`,
      param,
      "image_fetch_failed",
    );
  }
}

/** The request's image as checked bytes, or undefined when it has none. */
export async function loadImage(
  image: ImageBody | undefined,
  env: Pick<Env, "ALLOW_HTTP_IMAGE_URLS">,
  options?: FetchImageOptions,
): Promise<ImageInput | undefined> {
  if (!image) return undefined;
  const param = image.url !== undefined ? "image.url" : "image.data";
  const loaded =
    image.url !== undefined
      ? await fetchImage(image.url, env, options)
      : decodeInlineImage(image.data ?? "", image.media_type ?? "");
  return checkDecodable(loaded, param);
}

/**
 * The whole image decoded once, with the decoders the embedded model uses (fast-png, jpeg-js),
 * before a run exists: an image that passed the header checks but cannot be read (corrupt data, a
 * truncated stream) is a 400 now, not a failed run later.
 */
export async function checkDecodable(image: ImageInput, param: string): Promise<ImageInput> {
  try {
    await decodeImage(image.bytes, image.media_type);
  } catch (err) {
    throw invalidRequest(
      `${param}: the ${image.media_type === "image/png" ? "PNG" : "JPEG"} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`,
      param,
      "invalid_image",
    );
  }
  return image;
}
