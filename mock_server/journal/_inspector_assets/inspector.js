// The journal's live view: polls GET /__mock/requests for what is new, renders with
// textContent only (request bodies are untrusted), filters in the page: by verdict, by a
// request id or path, and the mock's own pages (hidden unless asked for).
"use strict";

const API = "/__mock/requests";
const POLL_MS = 1000;
const entries = new Map(); // id -> entry
let newest = 0;
let filter = "all";
let selected = null;

// How the journal's rule kinds read.
const KINDS = {
  prefer: "Prefer header",
  forced: "forced with Prefer",
  credentials: "credentials",
  "media type": "media type",
  transfer: "body transfer",
  json: "JSON",
  schema: "request schema",
};

const $ = (selector) => document.querySelector(selector);

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function visible(entry) {
  if (filter !== "all" && entry.verdict !== filter) return false;
  if (entry.own_page && !$("#show-own").checked) return false;
  const wanted = $("#find").value.trim().toLowerCase();
  if (!wanted) return true;
  return (entry.request_id ?? "").toLowerCase().includes(wanted) ||
    (entry.path + (entry.query ? "?" + entry.query : "")).toLowerCase().includes(wanted);
}

function applyFilter() {
  let shown = 0;
  let own = 0;
  for (const row of document.querySelectorAll("#exchanges tbody tr")) {
    const entry = entries.get(Number(row.dataset.id));
    const show = entry !== undefined && visible(entry);
    row.classList.toggle("hidden", !show);
    if (show) shown += 1;
    if (entry?.own_page) own += 1;
  }
  const hiddenOwn = $("#show-own").checked || own === 0 ? "" : ` · ${own} of the mock's own pages hidden`;
  $("#count").textContent = `${shown} of ${entries.size} shown${hiddenOwn}`;
  $("#empty").hidden = entries.size > 0;
  $("#all-hidden").hidden = entries.size === 0 || shown > 0;
}

function badge(entry) {
  const span = document.createElement("span");
  if (entry.injected) {
    // The mock injected this answer (a fault, the chaos mix, the rate limit).
    span.className = "badge injected";
    span.textContent = "injected";
    span.title = `Injected: ${entry.injected}`;
  } else if (entry.forced) {
    // Asked for with Prefer: not the mock's verdict on the request.
    span.className = "badge forced";
    span.textContent = "forced";
    span.title = `Forced with Prefer: ${entry.forced}`;
  } else {
    span.className = `badge ${entry.verdict}`;
    span.textContent =
      entry.verdict + (entry.violations.length ? ` (${entry.violations.length})` : "");
  }
  return span;
}

function row(entry) {
  const tr = document.createElement("tr");
  tr.dataset.id = String(entry.id);
  tr.dataset.verdict = entry.verdict;
  if (entry.forced) tr.dataset.forced = entry.forced;
  if (entry.injected) tr.dataset.injected = entry.injected;
  if (entry.own_page) tr.dataset.own = "true";
  tr.tabIndex = 0;
  tr.title = "Open this exchange";
  cell(tr, "›", "open");
  cell(tr, entry.time.slice(11, 23), "time");
  cell(tr, entry.method, "method");
  const path = entry.path + (entry.query ? "?" + entry.query : "");
  cell(tr, path, "path").title = path;
  cell(tr, entry.status === null ? "none" : String(entry.status), "status");
  cell(tr, "", "verdict").appendChild(badge(entry));
  cell(tr, entry.request_id ?? "", "rid").title = entry.request_id ?? "";
  cell(tr, String(entry.duration_ms), "ms");
  tr.addEventListener("click", () => select(entry.id));
  tr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(entry.id);
    }
  });
  return tr;
}

function side(element, part, what, answered) {
  element.querySelector(".headers").textContent = part.headers
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");
  const note = element.querySelector(".note");
  let said = "";
  if (part.raw === null) {
    if (!answered) {
      said = what === "request"
        ? "No body stored: the client went away before it ended."
        : "No response: the client went away before it could be answered.";
    } else {
      said = what === "request"
        ? "No body stored: the mock answered before reading it."
        : "No response.";
    }
  } else if (part.encoding === "base64") {
    said = "Not UTF-8: the bytes as sent, in base64.";
  } else if (part.raw === "") {
    said = "Empty body.";
  }
  if (part.truncated) said += " Cut: the journal keeps 64 KiB of each body.";
  note.textContent = said.trim();
  note.hidden = said === "";
  // As sent: never re-encoded, so a duplicate key or an odd escape shows as it was.
  element.querySelector(".body").textContent = part.raw ?? "";
  element.querySelector(".body").hidden = !part.raw;
}

function select(id) {
  const entry = entries.get(id);
  if (!entry) return;
  selected = id;
  for (const tr of document.querySelectorAll("#exchanges tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.id === String(id));
  }
  $("main").classList.add("open");
  $("#detail").hidden = false;
  $("#detail").dataset.id = String(id);
  $("#detail-title").textContent = `${entry.method} ${entry.path} → ${entry.status ?? "no response (the client went away)"}`;
  $("#detail-meta").textContent =
    `${entry.time} · ${entry.duration_ms} ms · ` +
    `${entry.injected ? "injected" : entry.forced ? "forced" : entry.verdict}` +
    ` · request id ${entry.request_id ?? "none"}`;
  $("#forced-note").hidden = !entry.forced && !entry.injected;
  $("#forced-note").textContent = entry.injected
    ? `Injected by the mock, not an answer to the request: ${entry.injected}.`
    : entry.forced
      ? `Forced: the client asked for this response with Prefer: ${entry.forced}.`
      : "";
  const rule = entry.rule;
  $("#rule").hidden = !rule;
  const problems = $("#problems tbody");
  problems.replaceChildren();
  if (rule) {
    $("#rule-kind").textContent = KINDS[rule.kind] ?? rule.kind ?? "";
    $("#rule-kind").hidden = !rule.kind;
    $("#rule-summary").textContent = rule.summary;
    $("#rule-contract").textContent = rule.contract;
    for (const problem of rule.problems) {
      const tr = document.createElement("tr");
      cell(tr, problem.pointer || "(body)");
      cell(tr, problem.keyword);
      cell(tr, problem.message);
      problems.appendChild(tr);
    }
  }
  $("#problems").hidden = !rule || rule.problems.length === 0;
  const list = $("#violations ul");
  list.replaceChildren();
  $("#violations").hidden = entry.violations.length === 0;
  for (const violation of entry.violations) {
    const li = document.createElement("li");
    li.textContent = `${violation.check}: ${violation.message}`;
    list.appendChild(li);
  }
  side($("#request-side"), entry.request, "request", entry.status !== null);
  side($("#response-side"), entry.response, "response", entry.status !== null);
}

function closeDetail() {
  const was = selected;
  selected = null;
  $("#detail").hidden = true;
  $("main").classList.remove("open");
  for (const tr of document.querySelectorAll("#exchanges tbody tr.selected")) {
    tr.classList.remove("selected");
  }
  document.querySelector(`#exchanges tbody tr[data-id="${was}"]`)?.focus();
}

async function poll() {
  try {
    const response = await fetch(`${API}?after=${newest}`, { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    const body = $("#exchanges tbody");
    for (const entry of data.requests.slice().reverse()) {
      entries.set(entry.id, entry);
      newest = Math.max(newest, entry.id);
      body.prepend(row(entry));
    }
    // Keep what the journal keeps: the newest `size` exchanges.
    while (entries.size > data.size) {
      const oldest = Math.min(...entries.keys());
      entries.delete(oldest);
      body.querySelector(`tr[data-id="${oldest}"]`)?.remove();
    }
    applyFilter();
    $("#live").classList.remove("paused");
    $("#live").textContent = "live";
  } catch (error) {
    $("#live").classList.add("paused");
    $("#live").textContent = "disconnected, retrying";
  }
  setTimeout(poll, POLL_MS);
}

async function clearJournal() {
  await fetch(API, { method: "DELETE" });
  entries.clear();
  $("#exchanges tbody").replaceChildren();
  closeDetail();
  applyFilter();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("#filters button")) {
    button.addEventListener("click", () => {
      filter = button.dataset.filter;
      for (const other of document.querySelectorAll("#filters button")) {
        other.classList.toggle("active", other === button);
      }
      applyFilter();
    });
  }
  $("#show-own").addEventListener("change", applyFilter);
  $("#find").addEventListener("input", applyFilter);
  $("#clear").addEventListener("click", clearJournal);
  $("#close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && selected !== null) closeDetail();
  });
  applyFilter();
  poll();
});
