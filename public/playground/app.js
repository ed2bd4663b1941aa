/**
 * The playground: pick or upload an image, ask, start a run (POST /v1/runs), follow it live over
 * SSE and draw each stage's search tree; open any run by id (`/?run=run_…` or `/#run_…`).
 */
import {
  ApiError,
  api,
  currentKey,
  describeError,
  forgetKey,
  keySource,
  runImageUrl,
  saveKey,
  savedKey,
  setDevKey,
} from "./api.js";
import { fmtInt, fmtMs, fmtUsd, h } from "./dom.js";
import { followEvents } from "./sse.js";
import { STAGES, applyEvent, emptyTrace, givenStage, renderStage, waitingStage } from "./tree.js";

const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

const $ = (id) => document.getElementById(id);
const els = {
  alert: $("alert"),
  keyForm: $("key-form"),
  key: $("api-key"),
  keyNote: $("key-note"),
  forgetKey: $("forget-key"),
  form: $("run-form"),
  samples: $("samples"),
  upload: $("upload"),
  preview: $("preview"),
  previewCaption: $("preview-caption"),
  question: $("question"),
  model: $("model"),
  modelHint: $("model-hint"),
  strategy: $("strategy"),
  strategyHint: $("strategy-hint"),
  scorer: $("scorer"),
  candidates: $("candidates"),
  keep: $("keep"),
  seed: $("seed"),
  maxTokens: $("max-tokens"),
  deadline: $("deadline"),
  runButton: $("run-button"),
  cancelButton: $("cancel-button"),
  openForm: $("open-form"),
  runId: $("run-id"),
  panel: $("run-panel"),
  status: $("status"),
  progress: $("progress"),
  summary: $("summary"),
  stages: $("stages"),
  events: $("events"),
};

/** The API's `param` → the control it belongs to. */
const PARAM_FIELDS = [
  [/^question/, "question"],
  [/^model/, "model"],
  [/^image/, "upload"],
  [/^search\.strategy/, "strategy"],
  [/^search\.candidates/, "candidates"],
  [/^search\.keep/, "keep"],
  [/^search\.scorer/, "scorer"],
  [/^sampling\.seed/, "seed"],
  [/^limits\.max_total_tokens/, "max-tokens"],
  [/^limits\.deadline_seconds/, "deadline"],
];

const STRATEGY_HINTS = {
  stage_beam: "Per stage: N candidates, the scorer picks the best, then the next stage continues from it.",
  greedy: "One candidate per stage at temperature 0 (the baseline): N, keep and scorer are ignored.",
  best_of_n: "N whole answers, then one selection over them.",
};

const state = {
  image: undefined, // {data, media_type, name}
  models: [],
  run: undefined, // {id, abort, live, view}
};

// ---------- messages ----------

function showError(message, param) {
  els.alert.replaceChildren(h("p", { text: message }));
  els.alert.classList.add("is-shown");
  const field = PARAM_FIELDS.find(([re]) => param && re.test(param));
  if (field) {
    const el = $(field[1]);
    el.setAttribute("aria-invalid", "true");
    if (el.closest("details")) el.closest("details").open = true;
  }
}

function clearError() {
  els.alert.replaceChildren();
  els.alert.classList.remove("is-shown");
  for (const el of els.form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function reportError(err, doing) {
  if (err?.name === "AbortError") return;
  showError(describeError(err, doing), err instanceof ApiError ? err.param : undefined);
  if (err instanceof ApiError && err.isAuth) {
    els.key.focus();
    updateKeyNote(true);
  }
}

function setStatus(text) {
  if (els.status.textContent !== text) els.status.textContent = text;
}

// ---------- API key ----------

function updateKeyNote(rejected = false) {
  const key = currentKey();
  const masked = key.length > 10 ? `${key.slice(0, 7)}…${key.slice(-4)}` : key;
  const which = keySource() === "saved" ? `your saved key (${masked})` : `the local development key (${masked})`;
  els.keyNote.textContent = rejected ? `The API rejected ${which}. Enter a valid key.` : `Using ${which}.`;
  els.keyNote.classList.toggle("is-bad", rejected);
}

els.keyForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const key = els.key.value.trim();
  if (!key) {
    showError('Enter an API key (it starts with "sk_"), or press "Use dev key" for local development.');
    els.key.focus();
    return;
  }
  saveKey(key);
  els.key.value = "";
  clearError();
  updateKeyNote();
  loadModels();
});

els.forgetKey.addEventListener("click", () => {
  forgetKey();
  clearError();
  updateKeyNote();
  loadModels();
});

// ---------- models ----------

async function loadModels() {
  try {
    const list = await api("/v1/models");
    state.models = Array.isArray(list.data) ? list.data : [];
    const chosen = els.model.value;
    els.model.replaceChildren(...state.models.map((m) => h("option", { value: m.id, text: m.id })));
    if (state.models.some((m) => m.id === chosen)) els.model.value = chosen;
    if (state.models.length === 0) els.model.replaceChildren(h("option", { value: "", text: "no models served" }));
    onModelChange();
  } catch (err) {
    reportError(err, "Loading the models");
  }
}

function onModelChange() {
  const m = state.models.find((x) => x.id === els.model.value);
  els.modelHint.textContent = m?.description ?? "";
  // Each model's own default scorer (what measured best for it); the user can still pick another.
  if (m?.default_scorer) els.scorer.value = m.default_scorer;
  const logprob = els.scorer.querySelector('option[value="logprob"]');
  const can = m?.capabilities?.logprobs !== false;
  logprob.disabled = !can;
  logprob.textContent = can ? "logprob" : "logprob (this model reports no logprobs)";
  if (!can && els.scorer.value === "logprob") els.scorer.value = "judge";
}
els.model.addEventListener("change", onModelChange);

function onStrategyChange() {
  const greedy = els.strategy.value === "greedy";
  els.strategyHint.textContent = STRATEGY_HINTS[els.strategy.value] ?? "";
  for (const el of [els.candidates, els.keep, els.scorer]) el.disabled = greedy;
}
els.strategy.addEventListener("change", onStrategyChange);

// ---------- image ----------

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const fmtBytes = (n) =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;

function showPreview(url, caption) {
  els.preview.src = url;
  els.preview.alt = caption;
  els.previewCaption.textContent = caption;
  els.preview.onload = () => {
    els.previewCaption.textContent = `${caption} — ${els.preview.naturalWidth}×${els.preview.naturalHeight}`;
  };
  els.preview.onerror = () => {
    els.previewCaption.textContent = `${caption} — the browser cannot display this file as an image`;
  };
}

async function chooseSample(sample) {
  els.upload.value = "";
  clearError();
  try {
    const res = await fetch(`/samples/${sample.file}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const buf = await res.arrayBuffer();
    state.image = { data: base64(buf), media_type: "image/png", name: sample.file };
    showPreview(`/samples/${sample.file}`, `Sample: ${sample.label} (${fmtBytes(buf.byteLength)})`);
    els.question.value = sample.question;
  } catch (err) {
    state.image = undefined;
    showError(`Loading the sample image ${sample.file} failed: ${err.message}`);
  }
}

async function loadSamples() {
  let samples = [];
  try {
    const res = await fetch("/samples/samples.json");
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    samples = await res.json();
  } catch (err) {
    showError(`Loading the sample images failed: ${err.message}. You can still upload an image.`);
    return;
  }
  els.samples.replaceChildren(
    ...samples.map((s, i) => {
      const id = `sample-${i}`;
      const input = h("input", { type: "radio", name: "sample", id, value: s.file, "data-sample": s.file });
      input.addEventListener("change", () => input.checked && chooseSample(s));
      return h(
        "div",
        { class: "sample" },
        input,
        h(
          "label",
          { for: id },
          h("img", { src: `/samples/${s.file}`, alt: "", width: 48, height: 48 }),
          h("span", { text: s.label }),
        ),
      );
    }),
  );
  const first = els.samples.querySelector("input");
  if (first && samples[0]) {
    first.checked = true;
    await chooseSample(samples[0]);
  }
}

els.upload.addEventListener("change", async () => {
  const file = els.upload.files?.[0];
  if (!file) return;
  clearError();
  for (const r of els.samples.querySelectorAll("input")) r.checked = false;
  state.image = undefined;
  if (file.size > MAX_IMAGE_BYTES) {
    showPreview("", `Upload: ${file.name}`);
    showError(
      `The image "${file.name}" is ${fmtBytes(file.size)}; the limit is 4 MiB. Choose a smaller PNG or JPEG.`,
      "image",
    );
    return;
  }
  const buf = await file.arrayBuffer();
  // The API checks the bytes against the type (and names what is wrong); the page does not guess.
  state.image = { data: base64(buf), media_type: file.type || "application/octet-stream", name: file.name };
  showPreview(
    URL.createObjectURL(file),
    `Upload: ${file.name} (${fmtBytes(file.size)}, ${file.type || "unknown type"})`,
  );
});

// ---------- starting and opening runs ----------

function numberField(el) {
  const v = el.value.trim();
  if (v === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

function requestBody() {
  const body = { question: els.question.value };
  if (els.model.value) body.model = els.model.value;
  if (state.image) body.image = { data: state.image.data, media_type: state.image.media_type };
  body.search = { strategy: els.strategy.value };
  if (els.strategy.value !== "greedy") {
    body.search.scorer = els.scorer.value;
    const n = numberField(els.candidates);
    const keep = numberField(els.keep);
    if (n !== undefined) body.search.candidates = n;
    if (keep !== undefined) body.search.keep = keep;
  }
  const seed = numberField(els.seed);
  if (seed !== undefined) body.sampling = { seed };
  const maxTokens = numberField(els.maxTokens);
  const deadline = numberField(els.deadline);
  if (maxTokens !== undefined || deadline !== undefined) {
    body.limits = {};
    if (maxTokens !== undefined) body.limits.max_total_tokens = maxTokens;
    if (deadline !== undefined) body.limits.deadline_seconds = deadline;
  }
  return body;
}

els.form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearError();
  if (!state.image && els.upload.files?.length) {
    showError("The uploaded file could not be used (see above); choose a sample or another PNG or JPEG.", "image");
    return;
  }
  els.runButton.disabled = true;
  setStatus("Starting the run…");
  try {
    const view = await api("/v1/runs", { method: "POST", body: requestBody() });
    follow(view); // runs until the run ends; reports its own errors
    // On a narrow screen the run is below the form: bring it into view.
    if (window.matchMedia("(max-width: 860px)").matches) els.panel.scrollIntoView({ block: "start" });
  } catch (err) {
    setStatus("The run was not started.");
    reportError(err, "Starting the run");
  } finally {
    els.runButton.disabled = false;
  }
});

els.openForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const id = els.runId.value.trim();
  if (!id) {
    showError('Enter a run id (it starts with "run_").');
    els.runId.focus();
    return;
  }
  openRun(id);
});

async function openRun(id) {
  clearError();
  stopFollowing();
  setStatus(`Opening ${id}…`);
  try {
    const view = await api(`/v1/runs/${encodeURIComponent(id)}`);
    // The run's own image beside its tree (a reopened run is not the one in the form).
    runImageUrl(view.id).then((url) => {
      if (url && state.run?.id === view.id) showPreview(url, `Image of ${view.id}`);
    });
    await follow(view);
  } catch (err) {
    setStatus(`Could not open ${id}.`);
    reportError(err, `Opening run ${id}`);
  }
}

els.cancelButton.addEventListener("click", async () => {
  const run = state.run;
  if (!run) return;
  els.cancelButton.disabled = true;
  try {
    await api(`/v1/runs/${run.id}/cancel`, { method: "POST" });
    setStatus("Cancel requested…");
  } catch (err) {
    reportError(err, "Canceling the run");
  } finally {
    els.cancelButton.disabled = false;
  }
});

function stopFollowing() {
  state.run?.abort.abort();
  state.run = undefined;
  els.cancelButton.hidden = true;
}

function shareUrl(id) {
  return `${location.origin}/?run=${encodeURIComponent(id)}`;
}

/** Follow a run from its view: draw, stream its events, then draw the final view. */
async function follow(view) {
  stopFollowing();
  const run = {
    id: view.id,
    abort: new AbortController(),
    live: { trace: emptyTrace(view.search), timing: {}, expected: {} },
    view,
    chain: {},
  };
  state.run = run;
  if (new URLSearchParams(location.search).get("run") !== view.id)
    history.pushState({ run: view.id }, "", `/?run=${encodeURIComponent(view.id)}`);
  els.runId.value = view.id;
  els.events.replaceChildren();
  stageCache.clear();
  els.stages.replaceChildren();
  renderSummary(view);
  // A finished run already has its whole tree; a live one fills in from the events.
  drawTrace(TERMINAL.has(view.status) ? view.trace : run.live.trace, run.live);
  els.cancelButton.hidden = TERMINAL.has(view.status);
  setStatus(
    TERMINAL.has(view.status) ? `Run ${view.status}; replaying its events…` : "Running: waiting for the first stage…",
  );

  let terminal;
  try {
    terminal = await followEvents(`/v1/runs/${encodeURIComponent(view.id)}/events`, {
      signal: run.abort.signal,
      onEvent: (event) => onRunEvent(run, event),
      onConnection: (s, lastId) => {
        if (s === "reconnecting" && state.run === run)
          setStatus(`Connection lost; resuming after event ${lastId || "0"}…`);
      },
    });
  } catch (err) {
    if (state.run !== run) return;
    reportError(err, "Following the run's events");
  }
  if (state.run !== run) return;
  if (!terminal && run.abort.signal.aborted) return;
  // The final word: the run view (whole trace, usage, timings, error).
  try {
    const final = await api(`/v1/runs/${encodeURIComponent(view.id)}`, { signal: run.abort.signal });
    if (state.run !== run) return;
    run.view = final;
    renderSummary(final);
    drawTrace(final.trace, run.live);
    finish(final);
  } catch (err) {
    reportError(err, "Reading the finished run");
  }
  els.cancelButton.hidden = true;
}

function finish(view) {
  if (view.status === "succeeded")
    setStatus(`Run succeeded in ${fmtMs(view.timings?.duration_ms)}. Answer: ${view.answer ?? "(none)"}`);
  else if (view.status === "failed") {
    setStatus("Run failed.");
    const e = view.error ?? {};
    showError(
      `The run failed${e.code ? ` (${e.code})` : ""}: ${e.message ?? "no message"}. What was decided before the failure is kept below.`,
    );
  } else if (view.status === "canceled") setStatus("Run canceled. What was decided before is kept below.");
  else setStatus(`Run ${view.status}.`);
}

function onRunEvent(run, event) {
  if (state.run !== run) return;
  const d = event.data ?? {};
  logEvent(event);
  const changed = applyEvent(run.live, event);
  if (changed && !TERMINAL.has(run.view.status)) drawTrace(run.live.trace, run.live);
  const stageName = d.stage;
  switch (event.type) {
    case "run.started":
      run.view.status = run.view.status === "queued" ? "running" : run.view.status;
      renderStatusBadge(run.view.status);
      break;
    case "stage.started":
      if (!TERMINAL.has(run.view.status))
        setStatus(`${stageName}: generating ${d.candidates ?? ""} candidate${d.candidates === 1 ? "" : "s"}…`);
      break;
    case "stage.completed":
      if (stageName !== "ANSWER" && typeof d.text === "string") {
        run.chain[stageName] = d.text;
        renderChain(run);
      }
      if (!TERMINAL.has(run.view.status)) setStatus(`${stageName} chosen.`);
      break;
    case "run.succeeded":
    case "run.failed":
    case "run.canceled":
      renderStatusBadge(event.type.slice(4));
      break;
  }
}

function logEvent(event) {
  const d = event.data ?? {};
  const what = [d.stage, d.step, d.winner ? `→ ${d.winner}` : "", d.verdict ?? ""].filter(Boolean).join(" ");
  els.events.append(h("li", {}, h("code", { text: `#${event.id} ${event.type}` }), what ? ` ${what}` : ""));
  while (els.events.childElementCount > 500) els.events.firstElementChild.remove();
}

// ---------- drawing ----------

const stageCache = new Map();

function drawTrace(trace, live) {
  const names = trace.strategy === "best_of_n" ? ["ANSWER"] : STAGES;
  const keep = trace.keep ?? 1;
  const nodes = names.map((name, i) => {
    const stage = trace.stages.find((s) => s.stage === name);
    const ended = TERMINAL.has(state.run?.view?.status) ? state.run.view.status : undefined;
    const key = JSON.stringify([stage ?? null, live.timing[name] ?? null, live.expected[name] ?? null, ended ?? null]);
    const cached = stageCache.get(name);
    if (cached && cached.key === key) return cached.node;
    const given = trace.given?.[name];
    const source = state.run?.view?.forked_from?.run_id ?? state.run?.view?.cached_from ?? "another run";
    const node = stage
      ? renderStage(stage, { number: i + 1, timing: live.timing[name], expected: live.expected[name], keep, ended })
      : given !== undefined
        ? givenStage(name, i + 1, given, source)
        : waitingStage(name, i + 1, ended);
    stageCache.set(name, { key, node });
    return node;
  });
  // Replace only what changed, so focus inside unchanged stages survives.
  nodes.forEach((node, i) => {
    const current = els.stages.children[i];
    if (current !== node) {
      if (current) current.replaceWith(node);
      else els.stages.append(node);
    }
  });
  while (els.stages.children.length > nodes.length) els.stages.lastElementChild.remove();
  const done = trace.stages.filter((s) => s.status === "completed").length;
  els.progress.max = names.length;
  els.progress.value = done;
  els.progress.hidden = false;
}

function renderStatusBadge(status) {
  els.panel.dataset.runStatus = status;
  const badge = els.summary.querySelector(".run-status");
  if (badge) {
    badge.textContent = status;
    badge.className = `run-status badge status-${status}`;
  }
}

function renderSummary(view) {
  els.panel.dataset.runStatus = view.status;
  const u = view.usage ?? {};
  const rows = [
    ["Model", view.model],
    [
      "Strategy",
      `${view.search?.strategy} · N=${view.search?.candidates} · keep=${view.search?.keep} · ${view.search?.scorer}`,
    ],
    ["Seed", String(view.sampling?.seed ?? "—")],
    ["Generation tokens", `${fmtInt(u.input_tokens)} in / ${fmtInt(u.output_tokens)} out`],
    ["Judge tokens", `${fmtInt(u.judge_input_tokens)} in / ${fmtInt(u.judge_output_tokens)} out`],
    ["Total tokens", `${fmtInt(u.total_tokens)}${u.estimated ? " (estimated)" : ""}`],
    ["Model steps", fmtInt(u.model_steps)],
    ["Backend time", fmtMs(u.backend_ms)],
    ["Wall time", fmtMs(view.timings?.duration_ms)],
    ["Cost", fmtUsd(u.cost_usd) ?? "not reported"],
  ];
  const answer =
    view.status === "succeeded"
      ? h(
          "div",
          { class: "answer", "data-node": "answer" },
          h("span", { class: "answer-label", text: "Answer" }),
          h("p", { text: view.answer ?? "(none)" }),
        )
      : null;
  const link = shareUrl(view.id);
  const copy = h("button", { type: "button", class: "secondary small", text: "Copy link" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Select the link to copy it";
    }
  });
  els.summary.replaceChildren(
    ...[
      h(
        "p",
        { class: "run-id" },
        h("span", { class: `run-status badge status-${view.status}`, text: view.status }),
        " ",
        h("a", { href: link, "data-node": "share-link", text: view.id }),
        " ",
        copy,
      ),
      h("p", { class: "question" }, h("span", { class: "q-label", text: "Q: " }), view.question ?? ""),
      ...lineage(view),
      answer,
      h("h3", { class: "chain-title", text: "The reasoning, as chosen" }),
      h("ol", { class: "chain", id: "chain" }),
      h(
        "dl",
        { class: "usage", "aria-label": "Usage" },
        rows.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { text: v }))),
      ),
    ].filter(Boolean),
  );
  renderChain(state.run);
}

/** Where a forked or cached run came from, and the forks made of it, linked; [] for neither. */
function lineage(view) {
  const link = (id) => h("a", { href: shareUrl(id), text: id });
  const line = (...parts) => h("p", { class: "lineage", "data-node": "lineage" }, ...parts);
  const reused = view.usage?.reused;
  const lines = [];
  if (view.cached_from)
    lines.push(line("Cached: the result of ", link(view.cached_from), ", with no model call and no tokens billed."));
  if (view.forked_from)
    lines.push(
      line(
        "Forked from ",
        link(view.forked_from.run_id),
        ` at ${view.forked_from.from}${reused?.stages.length ? `; ${reused.stages.join(", ")} taken as given, not billed again` : ""}.`,
      ),
    );
  if (view.forks?.length)
    lines.push(
      line(
        "Forked into ",
        view.forks.flatMap((f, i) => [i > 0 ? ", " : "", link(f.run_id), ` (from ${f.from})`]),
        ".",
      ),
    );
  return lines;
}

/** Start a fork of the shown run from `stage`, with the search chosen in the form. */
async function forkFrom(stage) {
  const parent = state.run?.view;
  if (!parent) return;
  clearError();
  setStatus(`Forking ${parent.id} from ${stage}…`);
  try {
    const view = await api(`/v1/runs/${encodeURIComponent(parent.id)}/fork`, {
      method: "POST",
      body: { from: stage, search: requestBody().search },
    });
    follow(view);
  } catch (err) {
    setStatus("The fork was not started.");
    reportError(err, `Forking from ${stage}`);
  }
}

/** The selected text of each stage, filling in as stages are chosen. */
function renderChain(run) {
  const list = document.getElementById("chain");
  if (!list || !run) return;
  const fromView = run.view?.stages ?? {};
  list.replaceChildren(
    ...STAGES.map((name) => {
      const text = fromView[name] ?? run.chain[name];
      // A finished run can be forked from any stage whose earlier stages it accepted.
      const forkable =
        TERMINAL.has(run.view?.status) && STAGES.slice(0, STAGES.indexOf(name)).every((s) => fromView[s]);
      let fork = null;
      if (forkable) {
        fork = h("button", {
          type: "button",
          class: "secondary small fork",
          "data-fork-stage": name,
          title: `A new run that keeps the stages before ${name} and searches the rest with the search chosen above`,
          text: "Fork from here",
        });
        fork.addEventListener("click", () => forkFrom(name));
      }
      return h(
        "li",
        { class: text === undefined ? "is-waiting" : "", "data-chain-stage": name },
        h("span", { class: "chain-stage", text: name }),
        h("span", { class: "chain-text", text: text ?? (TERMINAL.has(run.view?.status) ? "—" : "waiting…") }),
        fork,
      );
    }),
  );
}

// ---------- start-up ----------

function runFromUrl() {
  const q = new URLSearchParams(location.search).get("run");
  if (q) return q;
  const hash = decodeURIComponent(location.hash.slice(1));
  return hash.startsWith("run_") ? hash : undefined;
}

window.addEventListener("popstate", () => {
  const id = runFromUrl();
  if (id && id !== state.run?.id) openRun(id);
});
window.addEventListener("hashchange", () => {
  const id = runFromUrl();
  if (id && id !== state.run?.id) openRun(id);
});

async function announceDevKey() {
  // A development server may announce its dev key (never a deployed one); absent is fine.
  try {
    const res = await fetch("/healthz", { headers: { Accept: "application/json" } });
    if (res.ok) setDevKey((await res.json()).dev_key);
  } catch {
    // the key note says which key is used; errors surface on the first real call
  }
}

async function main() {
  onStrategyChange();
  // Beside the form on a wide screen the log has room to stay open; on a narrow one it waits.
  if (window.matchMedia("(min-width: 861px)").matches) document.getElementById("event-log").open = true;
  if (!savedKey()) await announceDevKey();
  updateKeyNote();
  const id = runFromUrl();
  await Promise.all([loadSamples(), loadModels()]);
  if (id) await openRun(id);
  document.body.dataset.ready = "true";
}

main();
