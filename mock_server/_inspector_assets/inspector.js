// The journal's live view: polls GET /__mock/requests for what is new, renders with
// textContent only (request bodies are untrusted), filters by verdict in the page.
"use strict";

const API = "/__mock/requests";
const POLL_MS = 1000;
const entries = new Map(); // id -> entry
let newest = 0;
let filter = "all";
let selected = null;

const $ = (selector) => document.querySelector(selector);

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function show(text) {
  if (text === null || text === undefined) return "";
  return typeof text === "string" ? text : JSON.stringify(text, null, 2);
}

function applyFilter() {
  let shown = 0;
  for (const row of document.querySelectorAll("#exchanges tbody tr")) {
    const visible = filter === "all" || row.dataset.verdict === filter;
    row.classList.toggle("hidden", !visible);
    if (visible) shown += 1;
  }
  $("#count").textContent = `${shown} of ${entries.size} exchanges`;
  $("#empty").hidden = entries.size > 0;
}

function row(entry) {
  const tr = document.createElement("tr");
  tr.dataset.id = String(entry.id);
  tr.dataset.verdict = entry.verdict;
  cell(tr, entry.time.slice(11, 23));
  cell(tr, entry.method);
  cell(tr, entry.path + (entry.query ? "?" + entry.query : ""));
  cell(tr, String(entry.status), "status");
  const verdict = cell(tr, "");
  const badge = document.createElement("span");
  badge.className = `badge ${entry.verdict}`;
  badge.textContent = entry.verdict + (entry.violations.length ? ` (${entry.violations.length})` : "");
  verdict.appendChild(badge);
  cell(tr, String(entry.duration_ms));
  tr.addEventListener("click", () => select(entry.id));
  return tr;
}

function side(element, part) {
  element.querySelector(".headers").textContent = part.headers
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");
  element.querySelector(".body").textContent =
    show(part.body) + (part.truncated ? "\n… (cut: the journal keeps 64 KiB of each body)" : "");
}

function select(id) {
  const entry = entries.get(id);
  if (!entry) return;
  selected = id;
  for (const tr of document.querySelectorAll("#exchanges tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.id === String(id));
  }
  $("#detail").hidden = false;
  $("#detail").dataset.id = String(id);
  $("#detail-title").textContent =
    `${entry.method} ${entry.path} → ${entry.status} · ${entry.verdict} · request id ${entry.request_id ?? "none"}`;
  const rule = entry.rule;
  $("#rule").hidden = !rule;
  const problems = $("#problems tbody");
  problems.replaceChildren();
  if (rule) {
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
  const list = $("#violations ul");
  list.replaceChildren();
  $("#violations").hidden = entry.violations.length === 0;
  for (const violation of entry.violations) {
    const li = document.createElement("li");
    li.textContent = `${violation.check}: ${violation.message}`;
    list.appendChild(li);
  }
  side($("#request-side"), entry.request);
  side($("#response-side"), entry.response);
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
  $("#detail").hidden = true;
  selected = null;
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
  $("#clear").addEventListener("click", clearJournal);
  applyFilter();
  poll();
});
