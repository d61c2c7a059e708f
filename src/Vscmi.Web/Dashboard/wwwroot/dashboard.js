// vscmi dashboard: renders the daemon's Server-Sent Events (snapshot every second, messages live).
"use strict";
const maxMessages = 300;
const maxSamples = 300;
let sensorNames = [];
let samples = [];
let paused = false;
let messageTotal = 0;
const knownAgents = new Set();
const knownProtocols = new Set();

const $ = id => document.getElementById(id);
const text = v => (v === null || v === undefined) ? "" : String(v);

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = text(value);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function votes(byAgent) {
  if (!byAgent) return "";
  return Object.entries(byAgent).filter(([, v]) => v !== null && v !== false).map(([a, v]) => v === true ? a : `${a}: ${v}`).join(", ");
}

function changed(c) { return c ? `${c.agent} (${c.message}, ${c.at})` : ""; }

function fill(id, rows, columns) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.dataset.id = r.id;
    for (const [value, cls] of columns(r)) cell(tr, value, cls);
    body.appendChild(tr);
  }
}

function onOff(v) { return [v ? "on" : "off", v ? "on" : "off"]; }

function render(s) {
  $("vendor").textContent = s.vendor;
  $("acting").textContent = s.actions ? `acting as ${s.acting_as}` : "read-only";
  fill("agents", s.agents, a => [
    [a.name], [a.connected ? "connected" : "not connected", a.connected ? "on" : "off"], [a.transport],
    [a.messages_per_second, "num"], [a.messages, "num"], [a.errors, "num"], [a.in_flight, "num"], [a.events_waiting, "num"]]);
  for (const a of s.agents) addOption("filter-agent", knownAgents, a.name);
  fill("clocks", s.clocks, c => [[c.id, "num"], [c.name], [c.rate, "num rate"], onOff(c.enabled), [votes(c.by_agent), "votes"], [changed(c.changed), "changed"]]);
  fill("perf", s.perf, p => [[p.id, "num"], [p.name], [p.level, "num level"], [`${p.range_min}–${p.range_max}`], [votes(p.by_agent), "votes"], [changed(p.changed), "changed"]]);
  fill("power", s.power, p => [[p.id, "num"], [p.name], onOff(p.on), [votes(p.by_agent), "votes"], [changed(p.changed), "changed"]]);
  fill("voltage", s.voltage, v => [[v.id, "num"], [v.name], [v.level, "num"], onOff(v.on), [changed(v.changed), "changed"]]);
  fill("reset", s.reset, r => [[r.id, "num"], [r.name], [r.asserted ? "asserted" : "", r.asserted ? "on" : "off"], [r.holder], [r.count, "num"], [changed(r.changed), "changed"]]);
  fill("powercap", s.powercap, p => [[p.id, "num"], [p.name], [p.cap, "num"], [p.pai, "num"], [changed(p.changed), "changed"]]);
  renderSensors(s.sensors);
  const missed = s.messages_not_shown + s.messages_dropped;
  $("message-missed").textContent = missed ? `${missed} not shown (the log shows up to 200 a second)` : "";
}

function renderSensors(sensors) {
  const box = $("sensors");
  if (box.children.length !== sensors.length) {
    box.replaceChildren();
    for (const s of sensors) {
      const div = document.createElement("div");
      div.className = "sensor";
      div.innerHTML = `<div><span class="name"></span> <span class="value"></span></div><canvas width="260" height="80"></canvas>`;
      div.querySelector(".name").textContent = s.name;
      box.appendChild(div);
    }
  }
  sensors.forEach((s, i) => {
    const div = box.children[i];
    const scale = Math.pow(10, s.exponent);
    div.querySelector(".value").textContent = s.value === null ? "–" : `${+(s.value * scale).toPrecision(6)} ${s.unit}`;
    draw(div.querySelector("canvas"), samples.map(p => [p.t, p.v[i]]));
  });
}

// One sensor's last five minutes: x is time (the right edge is now), y spans the values seen.
function draw(canvas, series) {
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  const points = series.filter(([, v]) => v !== null && v !== undefined);
  if (points.length < 2) return;
  const values = points.map(([, v]) => v);
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const end = Date.now(), window = maxSamples * 1000;
  g.strokeStyle = "#1f3a5f";
  g.beginPath();
  points.forEach(([t, v], i) => {
    const px = Math.max(0, canvas.width - (end - t) * canvas.width / window);
    const py = canvas.height - 4 - (v - lo) * (canvas.height - 8) / span;
    i === 0 ? g.moveTo(px, py) : g.lineTo(px, py);
  });
  g.stroke();
}

function addOption(select, seen, value) {
  if (seen.has(value)) return;
  seen.add(value);
  const o = document.createElement("option");
  o.value = o.textContent = value;
  $(select).appendChild(o);
}

function shown(li) {
  const agent = $("filter-agent").value, protocol = $("filter-protocol").value;
  return (!agent || li.dataset.agent === agent) && (!protocol || li.dataset.protocol === protocol);
}

function onMessage(m) {
  messageTotal++;
  addOption("filter-protocol", knownProtocols, m.protocol);
  if (paused) return;
  const li = document.createElement("li");
  li.className = m.direction;
  li.dataset.agent = m.agent;
  li.dataset.protocol = m.protocol;
  li.textContent = `${m.time} ${m.agent} ${m.direction === "in" ? "→" : "←"} ${m.text}${m.latency_us ? `  (${m.latency_us} µs)` : ""}`;
  li.hidden = !shown(li);
  const list = $("messages");
  list.appendChild(li);
  while (list.children.length > maxMessages) list.removeChild(list.firstChild);
  list.scrollTop = list.scrollHeight;
  $("message-count").textContent = `${messageTotal} shown`;
}

function refilter() { for (const li of $("messages").children) li.hidden = !shown(li); }

function connect() {
  const events = new EventSource("api/events");
  events.onopen = () => { $("connection").textContent = "live"; $("connection").className = "badge ok"; };
  events.onerror = () => { $("connection").textContent = "disconnected, retrying"; $("connection").className = "badge down"; };
  events.addEventListener("history", e => { const h = JSON.parse(e.data); sensorNames = h.sensors; samples = h.samples; });
  events.addEventListener("snapshot", e => {
    const s = JSON.parse(e.data);
    samples.push({ t: Date.now(), v: s.sensors.map(x => x.value) });
    while (samples.length > maxSamples) samples.shift();
    render(s);
    document.body.dataset.snapshots = String(+(document.body.dataset.snapshots || 0) + 1);
  });
  events.addEventListener("message", e => onMessage(JSON.parse(e.data)));
}

$("filter-agent").addEventListener("change", refilter);
$("filter-protocol").addEventListener("change", refilter);
$("pause").addEventListener("click", () => { paused = !paused; $("pause").textContent = paused ? "resume" : "pause"; });
connect();
