/**
 * Reading Server-Sent Events off a byte stream, with eventsource-parser (every line-ending style,
 * chunk boundaries anywhere, comments, multi-line data). One reader for every place the service
 * reads SSE: a Workers AI model's reply, a run object's event stream. Breaking out of the loop
 * cancels the stream (the generator's `finally`): that is how a backend stops paying for tokens it
 * does not need. An event the stream ends in the middle of is still yielded (a final `data:` line
 * without its blank line), so a truncated reply can be told from a complete one by its content.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
  /** A comment line (`: keep-alive`), yielded so that a reader can see the stream is alive. */
  comment?: boolean;
}

export async function* readSse(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage, void, undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const ready: SseMessage[] = [];
  const parser = createParser({
    onEvent: (e: EventSourceMessage) => ready.push({ id: e.id, event: e.event, data: e.data }),
    onComment: () => ready.push({ data: "", comment: true }),
  });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        // A last line without its line end is still a line, and the event it is in still an event.
        parser.feed(`${decoder.decode()}\n\n`);
      } else {
        parser.feed(decoder.decode(value, { stream: true }));
      }
      while (ready.length > 0) yield ready.shift() as SseMessage;
      if (finished) return;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
