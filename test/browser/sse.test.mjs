/**
 * The playground's SSE client (public/playground/sse.js) under Node: the parser against the
 * framing edge cases of the WHATWG spec, and resuming with Last-Event-ID after a dropped stream.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it } from "node:test";
import { ApiError } from "../../public/playground/api.js";
import { SseParser, followEvents } from "../../public/playground/sse.js";

describe("SseParser", () => {
  it("parses events split at any byte, with CRLF, comments, multi-line data and a remembered id", () => {
    const text =
      ': hello\r\nid: 1\r\nevent: run.created\r\ndata: {"a":1}\r\n\r\nevent: x\ndata: line 1\ndata: line 2\n\nid: 3\ndata:no-space\r\r\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      assert.deepEqual(
        events,
        [
          { id: "1", type: "run.created", data: '{"a":1}' },
          { id: "1", type: "x", data: "line 1\nline 2" },
          { id: "3", type: "message", data: "no-space" },
        ],
        `chunks of ${size}`,
      );
    }
  });

  it("does not dispatch an event without data", () => {
    assert.deepEqual(new SseParser().push("event: ping\n\n"), []);
  });
});

async function withServer(handler, fn) {
  const server = createServer(handler);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    return await fn(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const frame = (id, type, data) => `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

describe("followEvents", () => {
  it("resumes after a dropped connection with Last-Event-ID, missing and repeating nothing", async () => {
    const requests = [];
    const seen = [];
    const states = [];
    const terminal = await withServer(
      (req, res) => {
        requests.push({ lastId: req.headers["last-event-id"], auth: req.headers.authorization });
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        if (requests.length === 1) {
          res.write(frame(1, "run.started", {}) + frame(2, "stage.started", { stage: "SUMMARY" }));
          setTimeout(() => res.destroy(), 50); // the connection drops mid-run
        } else {
          res.end(frame(3, "stage.completed", { stage: "SUMMARY" }) + frame(4, "run.succeeded", {}));
        }
      },
      (base) =>
        followEvents(`${base}/v1/runs/run_x/events`, {
          onEvent: (e) => seen.push(`${e.id} ${e.type}`),
          onConnection: (s) => states.push(s),
        }),
    );
    assert.deepEqual(seen, ["1 run.started", "2 stage.started", "3 stage.completed", "4 run.succeeded"]);
    assert.equal(terminal.type, "run.succeeded");
    assert.deepEqual(
      requests.map((r) => r.lastId),
      [undefined, "2"],
    );
    assert.match(requests[0].auth, /^Bearer \S+/);
    assert.deepEqual(states, ["open", "reconnecting", "open", "closed"]);
  });

  it("rejects with the API's message when the stream is refused", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(401, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { type: "authentication_error", message: "invalid API key" } }));
      },
      async (base) => {
        await assert.rejects(
          followEvents(`${base}/events`, { onEvent: () => {} }),
          (err) => err instanceof ApiError && err.status === 401 && err.message === "invalid API key",
        );
      },
    );
  });
});
