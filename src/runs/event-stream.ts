/**
 * Server-Sent Events for one run: replay everything after the client's Last-Event-ID from
 * storage, then follow live commits, and close after the run's terminal event.
 */
import { formatSseFrame, sseComment } from "../shared/sse-frame";
import type { RunEvent } from "./contract";

const TERMINAL_EVENTS = new Set(["run.succeeded", "run.failed", "run.canceled"]);
const HEARTBEAT_MS = 15_000;
const PAGE = 200;

export function formatSse(e: RunEvent): string {
  return formatSseFrame({
    id: e.seq,
    event: e.type,
    data: { ...e.data, seq: e.seq, at: new Date(e.at).toISOString() },
  });
}

export interface EventSource {
  eventsAfter(after: number, limit: number): RunEvent[];
  /** Register a listener called after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** True once the run is terminal (its terminal event is stored). */
  isFinished(): boolean;
}

export function streamEvents(source: EventSource, after: number): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  let last = after;
  let closed = false;
  let pumping = Promise.resolve();

  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    writer.close().catch(() => {});
  };

  // Serialised so that events are written once each and in order, however often we are woken.
  const pump = (): void => {
    pumping = pumping
      .then(async () => {
        while (!closed) {
          const batch = source.eventsAfter(last, PAGE);
          if (batch.length === 0) {
            // A client resuming after the terminal event has nothing left to wait for.
            if (source.isFinished()) close();
            return;
          }
          for (const e of batch) {
            await writer.write(encoder.encode(formatSse(e)));
            last = e.seq;
            if (TERMINAL_EVENTS.has(e.type)) return close();
          }
        }
      })
      .catch(close); // the client went away
  };

  const unsubscribe = source.subscribe(pump);
  const heartbeat = setInterval(() => {
    if (!closed) writer.write(encoder.encode(sseComment("keep-alive"))).catch(close);
  }, HEARTBEAT_MS);
  pump();

  return new Response(readable, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
