// A webhook receiver that verifies each delivery with the `standardwebhooks` package.
//   WEBHOOK_SECRET=whsec_… PORT=8788 node examples/webhook-receiver.mjs
// Give runs `"webhook": {"url": "https://<this host>/hooks"}`. The secret is the API key's
// `webhook_secret` (shown once, when the key is created; DEV_WEBHOOK_SECRET for the local dev key).
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/** Handles one delivery: the parsed event, or null when the signature does not verify. */
export function receiver(secret, onEvent) {
  const webhook = new Webhook(secret);
  const seen = new Set(); // webhook-ids already handled: delivery is at least once
  return async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      // Checks the HMAC over `${webhook-id}.${webhook-timestamp}.${body}` and that the timestamp is recent.
      event = webhook.verify(body, req.headers);
    } catch {
      res.writeHead(400).end("bad signature");
      return;
    }
    const id = req.headers["webhook-id"];
    if (!seen.has(id)) {
      seen.add(id);
      await onEvent(event); // { type: "run.succeeded", timestamp, data: { run_id, seq, … } }
    }
    res.writeHead(204).end(); // any 2xx acknowledges; anything else is retried
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error("set WEBHOOK_SECRET to the API key's whsec_… webhook secret");
  const port = Number(process.env.PORT ?? 8788);
  const handler = receiver(secret, (event) => console.log(event.type, event.data.run_id, event.data.seq));
  createServer(handler).listen(port, () => console.log(`receiving webhooks on http://localhost:${port}/hooks`));
}
