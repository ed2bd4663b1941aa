/**
 * The real local service, as `npm start` runs it (`wrangler dev --local`), for every test and
 * benchmark that talks to it over HTTP: the crash test, the browser tests, bench/*.mjs. It listens
 * on a free loopback port with its state persisted in a directory the caller owns, so that the
 * process can be killed hard (SIGKILL of its whole process group: wrangler and workerd) and started
 * again on the same state. Like scripts/prestart.mjs, it copies .dev.vars from .dev.vars.example
 * when that is missing and applies the D1 migrations first (prepareState). startFreshService does
 * all of it on a throw-away state directory and removes that directory when stopped.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };
/** The development key of .dev.vars.example. */
export const DEV_KEY = "sk_dev_local_0123456789abcdef0123456789abcdef";

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** `wrangler <args>` to completion (D1 migrations and queries against the state directory). */
export function wranglerSync(args, { timeoutMs = 120_000 } = {}) {
  const r = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: ENV,
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(`wrangler ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function prepareState(state) {
  if (!existsSync(join(ROOT, ".dev.vars")) && existsSync(join(ROOT, ".dev.vars.example")))
    copyFileSync(join(ROOT, ".dev.vars.example"), join(ROOT, ".dev.vars"));
  wranglerSync(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
}

/** Rows of one SQL statement on the local D1 database in `state` (run it while the service is down). */
export function d1Query(state, sql) {
  const out = wranglerSync(["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", sql]);
  const parsed = JSON.parse(out.slice(out.indexOf("[")));
  return parsed[0]?.results ?? [];
}

/**
 * Start `wrangler dev` on `state` with extra vars; resolves once it is ready. The whole process
 * group is killed when this process exits, also on SIGINT / SIGTERM. `readyMs`: from spawning
 * wrangler to its "Ready on http" line.
 * @returns {Promise<{url: string, pid: number, readyMs: number, kill: (signal?: string) => Promise<void>, log: () => string}>}
 */
export async function startService({ state, port, vars = {}, timeoutMs = 180_000 }) {
  const inspectorPort = await freePort();
  const spawnedAt = performance.now();
  const args = [
    WRANGLER,
    "dev",
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: ENV,
  });
  let output = "";
  const onData = (chunk) => {
    output += chunk.toString();
    if (output.length > 400_000) output = output.slice(-200_000);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise((r) => child.once("exit", r));
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = () => killGroup("SIGKILL");
  const onSignal = (signal) => {
    killGroup("SIGKILL");
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const kill = async (signal = "SIGKILL") => {
    process.removeListener("exit", onExit);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(signal);
      const timer = setTimeout(() => killGroup("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    killGroup("SIGKILL"); // any straggler in the group (workerd)
  };
  try {
    await new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`wrangler dev was not ready after ${timeoutMs} ms:\n${output.slice(-4000)}`)),
        timeoutMs,
      );
      const check = () => {
        if (/Ready on http/.test(output)) {
          clearTimeout(timer);
          res();
        }
      };
      child.stdout.on("data", check);
      child.stderr.on("data", check);
      child.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`wrangler dev exited with ${code} before it was ready:\n${output.slice(-4000)}`));
      });
    });
  } catch (err) {
    await kill();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    readyMs: performance.now() - spawnedAt,
    kill,
    log: () => output,
  };
}

/**
 * What `npm start` does (prepareState, then `wrangler dev`), on a free port and a fresh state
 * directory of its own; `stop()` ends the process group (SIGTERM, then SIGKILL after 5 s) and
 * removes the state directory.
 * @returns {Promise<{url: string, state: string, pid: number, readyMs: number, stop: () => Promise<void>, log: () => string}>}
 */
export async function startFreshService({ vars = {}, timeoutMs = 180_000, prefix = "x1-service-state-" } = {}) {
  // Tests check every response against the OpenAPI document (docs/testing.md); a benchmark passes "0".
  vars = { VALIDATE_RESPONSES: "1", ...vars };
  const state = mkdtempSync(join(tmpdir(), prefix));
  let service;
  try {
    prepareState(state);
    service = await startService({ state, port: await freePort(), vars, timeoutMs });
  } catch (err) {
    rmSync(state, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service.kill("SIGTERM");
    rmSync(state, { recursive: true, force: true });
  };
  return { url: service.url, state, pid: service.pid, readyMs: service.readyMs, stop, log: service.log };
}

/** Server-Sent Events of a finished run, parsed: `[{id, event, data}]` (the stream closes after the terminal event). */
export function parseSse(text) {
  const events = [];
  for (const block of text.split(/\n\n/)) {
    const frame = { id: undefined, event: undefined, data: [] };
    for (const line of block.split("\n")) {
      if (line.startsWith("id: ")) frame.id = Number(line.slice(4));
      else if (line.startsWith("event: ")) frame.event = line.slice(7);
      else if (line.startsWith("data: ")) frame.data.push(line.slice(6));
    }
    if (frame.event !== undefined)
      events.push({ id: frame.id, event: frame.event, data: JSON.parse(frame.data.join("\n")) });
  }
  return events;
}
