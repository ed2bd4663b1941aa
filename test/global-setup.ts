/**
 * Runs in Node before the workerd test pool: a real HTTP webhook receiver on loopback, so that
 * webhook deliveries in tests cross a real network hop. Behaviour by path:
 *   /ok/<name>          → 204
 *   /fail/<n>/<name>    → 500 for the first n attempts of each webhook-id, then 204
 *   /down/<ms>/<name>   → 503 to everything under <name> for <ms> after its first request (a receiver
 *                         that is down for a while), then 204
 *   /log/<name>         → GET: every delivery received under <name>, with raw body and headers
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

interface Delivery {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiver: string;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = new Map<string, Delivery[]>();
  const seen = new Map<string, number>();
  const firstRequestAt = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const parts = (req.url ?? "/").split("/").filter(Boolean);
    if (req.method === "GET" && parts[0] === "log") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(log.get(parts[1] ?? "") ?? []));
      return;
    }
    const body = await readBody(req);
    const name = parts.at(-1) ?? "";
    const id = String(req.headers["webhook-id"] ?? "");
    const attempt = (seen.get(`${name}|${id}`) ?? 0) + 1;
    seen.set(`${name}|${id}`, attempt);
    const failures = parts[0] === "fail" ? Number(parts[1]) : 0;
    if (!firstRequestAt.has(name)) firstRequestAt.set(name, Date.now());
    const down = parts[0] === "down" && Date.now() - (firstRequestAt.get(name) ?? 0) < Number(parts[1]);
    const status = down ? 503 : attempt <= failures ? 500 : 204;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    log.set(name, [...(log.get(name) ?? []), { path: req.url ?? "", status, headers, body }]);
    res.writeHead(status);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("webhookReceiver", `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
