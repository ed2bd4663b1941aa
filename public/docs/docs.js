// Renders the service's OpenAPI document (same origin, /openapi.json) as a readable page:
// operations grouped by tag, their parameters, request bodies and responses, with schemas
// expanded from $refs. No dependencies and no requests beyond /openapi.json.
// A module (module scope, strict): the names below shadow the globals without redeclaring them,
// taken from globalThis so that the page lints under any globals configuration.
const { document, location, Node } = globalThis;

/** Build an element: h("td", { class: "x" }, "text", child, …). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Inline `code` spans in descriptions, as text nodes (never HTML). */
function rich(text) {
  if (!text) return [];
  return String(text)
    .split(/(`[^`]+`)/)
    .map((part) =>
      part.startsWith("`") && part.endsWith("`") && part.length > 1 ? h("code", {}, part.slice(1, -1)) : part,
    );
}

const refName = (ref) => ref.replace(/^#\/components\/schemas\//, "");

function resolve(doc, schema) {
  if (schema && schema.$ref) {
    const target = doc.components?.schemas?.[refName(schema.$ref)] || {};
    const { $ref: _, ...rest } = schema;
    return { ...target, ...rest, _ref: refName(schema.$ref) };
  }
  // `X | null` (an optional field that also accepts null) reads as X, marked nullable.
  const variants = schema?.anyOf;
  if (variants && variants.length === 2 && variants.some((v) => v.type === "null")) {
    const { anyOf: _, ...rest } = schema;
    return {
      ...resolve(
        doc,
        variants.find((v) => v.type !== "null"),
      ),
      ...rest,
      _nullable: true,
    };
  }
  return schema || {};
}

function typeOf(s) {
  if (s._ref && !s.type) return s._ref;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  const t = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
  if (t === "array") return "array";
  if (s.anyOf || s.oneOf)
    return (s.anyOf || s.oneOf).map((x) => x.type || (x.$ref ? refName(x.$ref) : "…")).join(" | ");
  return t || (s.properties ? "object" : "any");
}

function constraints(s) {
  const out = [];
  if (s.default !== undefined && JSON.stringify(s.default) !== "{}") out.push(`default ${JSON.stringify(s.default)}`);
  // Integers carry JavaScript's safe-integer bounds: noise, not a limit.
  const limit = (n) => n !== undefined && Math.abs(n) !== Number.MAX_SAFE_INTEGER;
  if (limit(s.minimum)) out.push(`≥ ${s.minimum}`);
  if (limit(s.exclusiveMinimum)) out.push(`> ${s.exclusiveMinimum}`);
  if (limit(s.maximum)) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`items ≥ ${s.minItems}`);
  if (s.maxItems !== undefined) out.push(`items ≤ ${s.maxItems}`);
  if (s.pattern) out.push(`pattern ${s.pattern}`);
  if (s._nullable) out.push("or null");
  if (s.additionalProperties === false && s.properties) out.push("no other fields");
  return out.join(", ");
}

/** A schema as a nested list of fields; `seen` stops recursion through cyclic refs. */
function renderSchema(doc, raw, seen = new Set()) {
  const s = resolve(doc, raw);
  if (s._ref && seen.has(s._ref)) return h("span", { class: "desc" }, `(see ${s._ref})`);
  const next = new Set(seen);
  if (s._ref) next.add(s._ref);
  const parts = [];
  if (s.description) parts.push(h("div", { class: "desc" }, rich(s.description)));
  const variants = s.anyOf || s.oneOf;
  if (s.properties) {
    const required = new Set(s.required || []);
    parts.push(
      h(
        "ul",
        {},
        Object.entries(s.properties).map(([name, p]) => field(doc, name, p, required.has(name), next)),
      ),
    );
  } else if (s.type === "array" && s.items) {
    parts.push(h("div", { class: "desc" }, "items:"), renderSchema(doc, s.items, next));
  } else if (variants && variants.some((v) => v.$ref || v.properties)) {
    parts.push(
      h(
        "ul",
        {},
        variants.map((v, i) =>
          h("li", {}, h("span", { class: "desc" }, `variant ${i + 1}: `), renderSchema(doc, v, next)),
        ),
      ),
    );
  }
  return h("div", { class: "schema" }, parts);
}

function field(doc, name, raw, required, seen) {
  const s = resolve(doc, raw);
  const c = constraints(s);
  const nested =
    s.properties || (s.type === "array" && s.items && resolve(doc, s.items).properties) || s.anyOf || s.oneOf;
  const head = [
    h("span", { class: "prop" }, name),
    " ",
    h(
      "span",
      { class: "type" },
      typeOf(s) + (s.type === "array" && s.items ? ` of ${typeOf(resolve(doc, s.items))}` : ""),
    ),
    required ? h("span", { class: "req" }, "required") : null,
    c ? h("span", { class: "constraint" }, c) : null,
  ];
  if (!nested) return h("li", {}, head, s.description ? h("div", { class: "desc" }, rich(s.description)) : null);
  const { description, ...inner } = s;
  return h(
    "li",
    {},
    h(
      "details",
      {},
      h("summary", {}, head),
      description ? h("div", { class: "desc" }, rich(description)) : null,
      renderSchema(doc, inner, seen),
    ),
  );
}

function parametersTable(params) {
  return h(
    "table",
    {},
    h("tr", {}, h("th", {}, "name"), h("th", {}, "in"), h("th", {}, "type"), h("th", {}, "description")),
    params.map((p) =>
      h(
        "tr",
        {},
        h("td", {}, h("span", { class: "prop" }, p.name), p.required ? h("span", { class: "req" }, "required") : null),
        h("td", {}, p.in),
        h("td", {}, h("span", { class: "type" }, typeOf(p.schema || {}))),
        h("td", {}, rich(p.description)),
      ),
    ),
  );
}

function content(doc, c) {
  return Object.entries(c || {}).map(([type, media]) =>
    h(
      "div",
      {},
      h("div", { class: "desc" }, h("code", {}, type)),
      media.schema ? renderSchema(doc, media.schema) : null,
    ),
  );
}

const anchor = (method, path) => `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "")}`;

function operation(doc, method, path, op) {
  const secured = (op.security ?? doc.security ?? []).length > 0;
  const parts = [
    h(
      "h2",
      {},
      h("span", { class: `method m-${method}` }, method),
      h("span", { class: "path" }, path),
      secured ? h("span", { class: "badge" }, "Bearer key") : h("span", { class: "badge" }, "public"),
    ),
    h("p", {}, rich(op.summary)),
    op.description ? h("p", { class: "desc" }, rich(op.description)) : null,
  ];
  if (op.parameters?.length) parts.push(h("h4", {}, "Parameters"), parametersTable(op.parameters));
  if (op.requestBody) parts.push(h("h4", {}, "Request body"), content(doc, op.requestBody.content));
  parts.push(h("h4", {}, "Responses"));
  for (const [status, r] of Object.entries(op.responses || {})) {
    const body = r.content ? content(doc, r.content) : [];
    const headers = Object.entries(r.headers || {}).map(([name, hd]) =>
      h("div", { class: "desc" }, "header ", h("code", {}, name), ": ", rich(hd.description)),
    );
    parts.push(
      h(
        "details",
        { open: status.startsWith("2") },
        h("summary", {}, h("b", {}, status), " ", rich(r.description)),
        headers,
        body,
      ),
    );
  }
  return h("section", { class: "op", id: anchor(method, path) }, parts);
}

function render(doc) {
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  main.replaceChildren(h("p", {}, rich(doc.info?.description)));
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] || "other";
      if (!byTag.has(tag)) byTag.set(tag, { tag: { name: tag }, ops: [] });
      byTag.get(tag).ops.push({ method, path, op });
    }
  }
  const navParts = [];
  for (const { tag, ops } of byTag.values()) {
    if (ops.length === 0) continue;
    main.append(h("h2", {}, tag.name), tag.description ? h("p", { class: "desc" }, rich(tag.description)) : null);
    navParts.push(h("h3", {}, tag.name));
    for (const { method, path, op } of ops) {
      main.append(operation(doc, method, path, op));
      navParts.push(
        h("a", { href: `#${anchor(method, path)}` }, h("span", { class: `method m-${method}` }, method), " ", path),
      );
    }
  }
  const schemas = Object.keys(doc.components?.schemas || {});
  main.append(h("h2", {}, "Schemas"));
  navParts.push(h("h3", {}, "Schemas"));
  for (const name of schemas) {
    main.append(
      h(
        "section",
        { class: "op", id: `schema-${name}` },
        h("h2", {}, h("span", { class: "path" }, name)),
        renderSchema(doc, { $ref: `#/components/schemas/${name}` }),
      ),
    );
    navParts.push(h("a", { href: `#schema-${name}` }, name));
  }
  nav.replaceChildren(...navParts);
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

fetch("/openapi.json", { headers: { accept: "application/json" } })
  .then((res) => {
    if (!res.ok) throw new Error(`GET /openapi.json answered HTTP ${res.status}`);
    return res.json();
  })
  .then(render)
  .catch((err) => {
    document
      .getElementById("status")
      ?.replaceWith(h("p", { class: "error" }, `Could not load the API description: ${err.message}`));
  });
