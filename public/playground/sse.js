/**
 * Server-Sent Events over fetch(): EventSource cannot send an Authorization header. Parses the
 * stream as the WHATWG spec says (id / event / data fields, blank line dispatches, comments
 * ignored) and, when the connection drops before the run's terminal event, reconnects with
 * `Last-Event-ID` so nothing is missed or repeated.
 */
import { ApiError, authHeaders, errorFromResponse } from "./api.js";

const TERMINAL = new Set(["run.succeeded", "run.failed", "run.canceled"]);
const MAX_FAILURES = 6;

/** Incremental parser: feed text chunks, get complete events. */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.reset();
    this.lastId = "";
  }

  reset() {
    this.event = "";
    this.data = [];
    this.id = undefined;
  }

  /** Returns the events completed by this chunk: {id, type, data (string)}. */
  push(chunk) {
    this.buffer += chunk;
    const out = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end might be the first half of \r\n: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      if (line === "") {
        if (this.id !== undefined) this.lastId = this.id;
        if (this.data.length > 0)
          out.push({ id: this.lastId, type: this.event || "message", data: this.data.join("\n") });
        this.reset();
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.event = value;
      else if (field === "data") this.data.push(value);
      else if (field === "id" && !value.includes("\0")) this.id = value;
    }
    return out;
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Follow `url` until a terminal event. `onEvent({id, type, data})` gets each event with `data`
 * parsed as JSON; `onConnection(state, detail)` hears "open", "reconnecting" and "closed".
 * Resolves with the terminal event (or undefined when aborted); rejects with ApiError when the
 * server refuses the stream (4xx) or it cannot be reached after several tries.
 */
export async function followEvents(url, { onEvent, onConnection = () => {}, signal, lastEventId = "" } = {}) {
  let lastId = lastEventId;
  let failures = 0;
  while (!signal?.aborted) {
    const headers = { Accept: "text/event-stream", ...authHeaders() };
    if (lastId) headers["Last-Event-ID"] = lastId;
    let res;
    try {
      res = await fetch(url, { headers, signal, cache: "no-store" });
    } catch (err) {
      if (signal?.aborted) return undefined;
      res = undefined;
      if (++failures > MAX_FAILURES)
        throw new ApiError(`lost the event stream and could not reconnect (${err?.message ?? err})`);
    }
    if (res && !res.ok) {
      // 4xx will not get better by retrying; 5xx might.
      if (res.status < 500 || ++failures > MAX_FAILURES) throw await errorFromResponse(res);
      res = undefined;
    }
    if (res) {
      onConnection("open", lastId);
      const parser = new SseParser();
      parser.lastId = lastId;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const before = lastId;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parser.push(decoder.decode(value, { stream: true }))) {
            lastId = e.id;
            failures = 0;
            let data;
            try {
              data = JSON.parse(e.data);
            } catch {
              data = { raw: e.data };
            }
            const event = { id: e.id, type: e.type, data };
            onEvent(event);
            if (TERMINAL.has(e.type)) {
              reader.cancel().catch(() => {});
              onConnection("closed", lastId);
              return event;
            }
          }
        }
        // A stream that ends before the terminal event without news counts as a failure.
        if (lastId === before && ++failures > MAX_FAILURES)
          throw new ApiError("the event stream keeps closing before the run ends");
      } catch (err) {
        if (err instanceof ApiError) throw err;
        if (signal?.aborted) return undefined;
        if (++failures > MAX_FAILURES)
          throw new ApiError(`lost the event stream and could not reconnect (${err?.message ?? err})`);
      }
    }
    if (signal?.aborted) return undefined;
    onConnection("reconnecting", lastId);
    await sleep(Math.min(5000, 250 * 2 ** failures), signal);
  }
  return undefined;
}
