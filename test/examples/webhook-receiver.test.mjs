// The webhook receiver of docs/webhooks.md (examples/webhook-receiver.mjs) against deliveries signed
// the way the service signs them (src/platform/webhook-signature.ts, Standard Webhooks).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { test } from "node:test";
import { receiver } from "../../examples/webhook-receiver.mjs";

const SECRET = "whsec_ZGV2LWxvY2FsLXdlYmhvb2stc2VjcmV0LTAx";

function sign(id, timestamp, body, secret = SECRET) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

async function withReceiver(fn) {
  const events = [];
  const server = createServer(receiver(SECRET, (e) => events.push(e)));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/hooks`;
  try {
    await fn(url, events);
  } finally {
    server.close();
  }
}

function deliver(url, id, body, signature, timestamp = Math.floor(Date.now() / 1000)) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature ?? sign(id, timestamp, body),
    },
    body,
  });
}

test("a signed delivery is acknowledged once; a repeat of its webhook-id is not handled twice", async () => {
  await withReceiver(async (url, events) => {
    const body = JSON.stringify({
      type: "run.succeeded",
      timestamp: new Date().toISOString(),
      data: { run_id: "run_1", seq: 9 },
    });
    assert.equal((await deliver(url, "msg_1_9", body)).status, 204);
    assert.equal((await deliver(url, "msg_1_9", body)).status, 204);
    assert.deepEqual(
      events.map((e) => [e.type, e.data.run_id, e.data.seq]),
      [["run.succeeded", "run_1", 9]],
    );
  });
});

test("a wrong signature, a changed body or an old timestamp is refused with 400", async () => {
  await withReceiver(async (url, events) => {
    const body = JSON.stringify({ type: "run.failed", data: { run_id: "run_2", seq: 3 } });
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await deliver(url, "msg_a", body, sign("msg_a", now, body, "whsec_b3RoZXItc2VjcmV0"))).status, 400);
    assert.equal((await deliver(url, "msg_b", `${body} `, sign("msg_b", now, body))).status, 400);
    const old = now - 3600;
    assert.equal((await deliver(url, "msg_c", body, sign("msg_c", old, body), old)).status, 400);
    assert.equal(events.length, 0);
  });
});
