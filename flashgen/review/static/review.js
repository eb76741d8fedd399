// flashgen review page: decisions and edits go to the server at once; filters and keys here.
"use strict";

const token = document.body.dataset.token;
const lecture = document.body.dataset.lecture;
const items = Array.from(document.querySelectorAll("article.item"));
let current = null;

function say(text) {
  document.getElementById("message").textContent = text;
}

function select(item) {
  if (!item) return;
  if (current) current.classList.remove("selected");
  current = item;
  item.classList.add("selected");
  item.focus();
  item.scrollIntoView({ block: "nearest" });
}

async function send(item, action, data) {
  const response = await fetch("/api/change", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Flashgen-Token": token },
    body: JSON.stringify({ lecture, id: item.dataset.id, digest: item.dataset.digest, action, data }),
  });
  const reply = await response.json();
  if (!response.ok) {
    item.querySelector(".error").textContent = reply.error;
    say(`${item.dataset.id}: not saved: ${reply.error}`);
    return false;
  }
  item.dataset.state = reply.state;
  item.dataset.digest = reply.digest;
  item.dataset.stale = "no";
  item.querySelector(".state").textContent = reply.state;
  if (reply.data) item.querySelector("textarea").value = reply.data;
  item.querySelector(".error").textContent = "";
  const c = reply.counts;
  document.getElementById(`counts-${lecture}`).textContent =
    `${c.new} new · ${c.approved} approved · ${c.edited} edited · ${c.rejected} rejected` +
    (c.stale ? ` · ${c.stale} stale` : "");
  say(`${item.dataset.id}: ${reply.state}, saved`);
  return true;
}

function editing(item, open) {
  item.querySelector(".editor").hidden = !open;
  if (open) item.querySelector("textarea").focus();
  else item.focus();
}

async function save(item) {
  let data;
  try {
    data = JSON.parse(item.querySelector("textarea").value);
  } catch (error) {
    item.querySelector(".error").textContent = `not valid JSON: ${error.message}`;
    return;
  }
  if (await send(item, "edit", data)) editing(item, false);
}

function act(item, action) {
  if (action === "edit") editing(item, true);
  else if (action === "cancel") editing(item, false);
  else if (action === "save") save(item);
  else send(item, action);
}

function applyFilters() {
  const state = document.getElementById("filter-state").value;
  const file = document.getElementById("filter-file").value;
  const kind = document.getElementById("filter-kind").value;
  let shown = 0;
  for (const item of items) {
    const ok =
      (!state || (state === "stale" ? item.dataset.stale === "yes" : item.dataset.state === state)) &&
      (!file || item.dataset.file === file) &&
      (!kind || item.dataset.kind === kind);
    item.hidden = !ok;
    shown += ok;
  }
  document.getElementById("shown").textContent = `${shown} of ${items.length} shown`;
}

function step(delta) {
  const visible = items.filter((item) => !item.hidden);
  const at = visible.indexOf(current);
  select(visible[Math.min(Math.max(at + delta, 0), visible.length - 1)]);
}

for (const item of items) {
  item.addEventListener("click", (event) => {
    select(item);
    const button = event.target.closest("button[data-action]");
    if (button) act(item, button.dataset.action);
  });
}
for (const id of ["filter-state", "filter-file", "filter-kind"]) {
  document.getElementById(id).addEventListener("change", applyFilters);
}
document.addEventListener("keydown", (event) => {
  const inEditor = event.target.tagName === "TEXTAREA";
  if (inEditor) {
    const item = event.target.closest("article.item");
    if (event.key === "Escape") editing(item, false);
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) save(item);
    return;
  }
  if (event.target.tagName === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) return;
  const keys = { j: () => step(1), k: () => step(-1) };
  const actions = { a: "approve", r: "reject", e: "edit" };
  if (keys[event.key]) keys[event.key]();
  else if (actions[event.key] && current) act(current, actions[event.key]);
  else return;
  event.preventDefault();
});
applyFilters();
select(items[0]);
// Show where the card's term first occurs in its chunk.
for (const chunk of document.querySelectorAll(".chunk")) {
  const mark = chunk.querySelector("mark");
  if (mark) chunk.scrollTop = Math.max(mark.offsetTop - 40, 0); // .chunk is its offsetParent
}
