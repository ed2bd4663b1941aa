/**
 * Talking to the API from the page: the API key (localStorage, else the local dev key), JSON
 * requests, and errors turned into sentences a person can act on.
 */

const KEY_STORAGE = "llava-x1.api-key";

/** The documented local development key; a deployment announces nothing and asks for a real key. */
let devKey =
  (typeof document === "undefined" ? null : document.querySelector('meta[name="x1-dev-key"]'))?.getAttribute(
    "content",
  ) || "sk_dev_local_0123456789abcdef0123456789abcdef";

export function setDevKey(key) {
  if (typeof key === "string" && key.length > 0) devKey = key;
}

export function savedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/** The key requests are sent with: the one the user saved, else the dev key. */
export function currentKey() {
  return savedKey() || devKey;
}

export function keySource() {
  return savedKey() ? "saved" : "dev";
}

export function saveKey(key) {
  localStorage.setItem(KEY_STORAGE, key.trim());
}

export function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
}

/** An error from the API (its JSON `error` object) or from getting to it. */
export class ApiError extends Error {
  constructor(message, { status = 0, type = "", code = "", param = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }

  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

export function authHeaders() {
  return { Authorization: `Bearer ${currentKey()}` };
}

/** Turn a non-2xx response into an ApiError with the API's own message. */
export async function errorFromResponse(res) {
  const text = await res.text().catch(() => "");
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = undefined;
  }
  const message =
    error && typeof error.message === "string"
      ? error.message
      : text.trim().slice(0, 300) || res.statusText || "no details";
  return new ApiError(message, {
    status: res.status,
    type: error?.type ?? "",
    code: error?.code ?? "",
    param: error?.param ?? "",
  });
}

/** fetch() a JSON API route with the key; throws ApiError on a network failure or a non-2xx status. */
export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...authHeaders(), ...headers }, signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(`could not reach the service (${err?.message ?? err}). Is it running?`);
  }
  if (!res.ok) throw await errorFromResponse(res);
  return res.json();
}

/** A run's input image as an object URL, or null when it has none (or it cannot be fetched). */
export async function runImageUrl(id) {
  try {
    const res = await fetch(`/v1/runs/${encodeURIComponent(id)}/image`, { headers: authHeaders() });
    return res.ok ? URL.createObjectURL(await res.blob()) : null;
  } catch {
    return null;
  }
}

/** A sentence for the alert region. */
export function describeError(err, doing) {
  if (err instanceof ApiError) {
    if (err.status === 401) {
      return `${doing} failed: the API did not accept the API key (HTTP 401: ${err.message}). Enter a valid key under "API key" and try again.`;
    }
    if (err.status === 403) {
      return `${doing} failed: this API key is not allowed to do that (HTTP 403: ${err.message}). Use a key with access, under "API key".`;
    }
    if (err.status === 0) return `${doing} failed: ${err.message}`;
    return `${doing} failed (HTTP ${err.status}): ${err.message}`;
  }
  return `${doing} failed: ${err?.message ?? String(err)}`;
}
