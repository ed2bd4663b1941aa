/**
 * Reading Server-Sent Events frames back from a stream: the run object's event stream, which
 * frames with "\n" only (src/shared/sse-frame.ts), so CR line ends are not handled.
 */

export interface ReadFrame {
  id?: string;
  event?: string;
  data: string;
  /** A comment-only block (`: keep-alive`). */
  comment?: boolean;
}

function parseBlock(block: string): ReadFrame | undefined {
  const frame: ReadFrame = { data: "" };
  const data: string[] = [];
  let fields = 0;
  for (const line of block.split("\n")) {
    if (line === "") continue;
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    fields += 1;
    if (field === "id") frame.id = value;
    else if (field === "event") frame.event = value;
    else if (field === "data") data.push(value);
  }
  if (fields === 0) return block.trim() === "" ? undefined : { data: "", comment: true };
  frame.data = data.join("\n");
  return frame;
}

/** Frames in order; ends when the stream does. */
export async function* readSseFrames(stream: ReadableStream<Uint8Array>): AsyncGenerator<ReadFrame> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const frame = parseBlock(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (frame) yield frame;
      }
      if (done) break;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
