// Outbound requests cannot reach inside, against the real local service (`wrangler dev`): image and
// webhook URLs that name this machine or a private network — in every spelling — are refused with
// 400 before any connection is opened. A TCP listener on loopback counts the connections it gets:
// none. A public-looking redirect to it is refused too (the development flag lets the service fetch
// plain http from a loopback server, which answers with the redirect).
import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { DEV_KEY, freePort, startFreshService } from "../reliability/service.mjs";

const PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
let service;
let listener;
let connections = 0;
let port;
let redirector;
let redirectPort;

before(async () => {
  port = await freePort();
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise((resolve) => listener.listen(port, "127.0.0.1", resolve));
  redirectPort = await freePort();
  redirector = createHttpServer((req, res) => {
    res.writeHead(302, { Location: `https://127.0.0.1:${port}/x.png` });
    res.end();
  });
  await new Promise((resolve) => redirector.listen(redirectPort, "127.0.0.1", resolve));
  service = await startFreshService({ vars: { MOCK_LATENCY_MS: "5", ALLOW_HTTP_IMAGE_URLS: "1" } });
});
after(async () => {
  await service?.stop();
  listener?.close();
  redirector?.close();
});

/** The loopback listener, written every way an attacker might. */
const spellings = () => [
  `https://127.0.0.1:${port}/x.png`,
  `https://127.1:${port}/x.png`,
  `https://2130706433:${port}/x.png`,
  `https://0x7f000001:${port}/x.png`,
  `https://0177.0.0.1:${port}/x.png`,
  `https://0.0.0.0:${port}/x.png`,
  `https://[::1]:${port}/x.png`,
  `https://[::ffff:127.0.0.1]:${port}/x.png`,
  `https://[::ffff:7f00:1]:${port}/x.png`,
  `https://[64:ff9b::7f00:1]:${port}/x.png`,
  `https://localhost:${port}/x.png`,
  `https://app.localhost:${port}/x.png`,
  `https://127.0.0.1.nip.io:${port}/x.png`,
  `https://localtest.me:${port}/x.png`,
  `http://0.0.0.0:${port}/x.png`,
  `http://10.0.0.1:${port}/x.png`,
  `https://169.254.169.254/latest/meta-data/`,
  `https://metadata.google.internal/computeMetadata/v1/`,
];

async function post(body) {
  const res = await fetch(`${service.url}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ question: "What is in the image?", model: "mock:fixed", ...body }),
  });
  return { status: res.status, body: await res.json() };
}

test("image URLs that reach inside are refused with 400, and no connection is opened", async () => {
  for (const url of spellings()) {
    const { status, body } = await post({ image: { url } });
    assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
    assert.equal(body.error.param, "image.url", url);
    assert.match(body.error.message, /not on the public internet|must use https/, url);
  }
  assert.equal(connections, 0, "the loopback listener was connected to");
});

test("webhook URLs that reach inside are refused with 400, and no connection is opened", async () => {
  for (const url of spellings()) {
    if (url.startsWith("http://")) continue; // plain http webhooks are the development exception's
    const { status, body } = await post({
      image: { data: PNG_1x1, media_type: "image/png" },
      webhook: { url, events: ["run.succeeded"] },
    });
    assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
    assert.equal(body.error.param, "webhook.url", url);
    assert.match(body.error.message, /not on the public internet/, url);
  }
  assert.equal(connections, 0, "the loopback listener was connected to");
});

test("a redirect to an internal address is refused before it is followed", async () => {
  const { status, body } = await post({ image: { url: `http://127.0.0.1:${redirectPort}/a.png` } });
  assert.equal(status, 400, JSON.stringify(body));
  assert.match(body.error.message, /redirected to https:\/\/127\.0\.0\.1:\d+\/x\.png.*loopback/);
  assert.equal(connections, 0, "the redirect was followed to the loopback listener");
});
