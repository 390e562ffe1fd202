// Load client for bench/soak.py: many live members in one Node process (socket.io-client).
// Reads a JSON plan on stdin: {urls, origin, batch, members: [{token, space_id, url_index,
// user_id}]}. Prints "READY <n>" once every connection is subscribed. Each connection keeps
// every event id it receives, with the time it arrived, and checks each one as it comes:
// an id seen before is a duplicate, an id below the highest seen so far is out of order
// (ids of one space are delivered in increasing order). A connection that drops resubscribes
// with the highest id it has, as the browser client does. On "DONE" on stdin it prints one
// JSON line with what every connection received and saw go wrong, and this process's CPU.
"use strict";
const { io } = require("socket.io-client");
const { performance } = require("perf_hooks");

const now = () => Math.round(performance.timeOrigin + performance.now());
let input = "";
let plan = null;
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
  const newline = input.indexOf("\n");
  if (newline >= 0 && !plan) {
    plan = JSON.parse(input.slice(0, newline));
    input = input.slice(newline + 1);
    start(plan);
  }
  if (plan && input.includes("DONE")) finish();
});

const conns = [];
const cpuStart = process.cpuUsage();

function start(plan) {
  let subscribed = 0;
  let next = 0;
  const openOne = () => {
    if (next >= plan.members.length) return;
    const m = plan.members[next++];
    const c = {
      user_id: m.user_id, space_id: m.space_id, url_index: m.url_index || 0,
      ids: [], times: [], seen: new Set(), maxId: null, startId: null, ready: false,
      dups: 0, out_of_order: 0, reconnects: 0, connect_errors: 0, subscribe_errors: 0,
      disconnects: {}, revoked: 0, errors: [],
    };
    conns.push(c);
    const socket = io(plan.urls[c.url_index], {
      transports: ["websocket"], auth: { token: m.token }, extraHeaders: { Origin: plan.origin },
      reconnectionDelay: 300, reconnectionDelayMax: 2000, randomizationFactor: 0.5,
      timeout: 60000,
    });
    c.socket = socket;
    socket.on("event", (ev) => {
      const t = now();
      if (c.seen.has(ev.id)) { c.dups++; return; }
      if (c.maxId !== null && ev.id < c.maxId) c.out_of_order++;
      c.seen.add(ev.id);
      c.ids.push(ev.id);
      c.times.push(t);
      if (c.maxId === null || ev.id > c.maxId) c.maxId = ev.id;
    });
    socket.on("access_revoked", () => { c.revoked++; });
    const subscribe = () => {
      const last = c.maxId !== null ? c.maxId : c.startId;
      socket.timeout(60000).emit("subscribe", { space_id: m.space_id, last_event_id: last },
        (err, ack) => {
          if (err || !ack || !ack.ok) {
            c.subscribe_errors++;
            if (c.errors.length < 5) c.errors.push(`subscribe: ${err || JSON.stringify(ack)}`);
            if (socket.connected) setTimeout(subscribe, 500 + Math.random() * 500);
            return;
          }
          if (!c.ready) {
            c.ready = true;
            c.startId = ack.last_event_id;
            subscribed++;
            if (subscribed === plan.members.length) console.log("READY " + subscribed);
            openOne();
          }
        });
    };
    socket.on("connect", () => {
      if (c.ready) c.reconnects++;
      subscribe();
    });
    socket.on("disconnect", (reason) => {
      c.disconnects[reason] = (c.disconnects[reason] || 0) + 1;
    });
    socket.on("connect_error", (e) => {
      c.connect_errors++;
      if (c.errors.length < 5) c.errors.push(`connect_error: ${e && e.message}`);
    });
  };
  for (let i = 0; i < (plan.batch || 50); i++) openOne();
}

function finish() {
  const cpu = process.cpuUsage(cpuStart);
  const out = {
    cpu_s: (cpu.user + cpu.system) / 1e6,
    rss_mb: process.memoryUsage().rss / 1048576,
    conns: conns.map((c) => ({
      user_id: c.user_id, space_id: c.space_id, url_index: c.url_index, ready: c.ready,
      start_id: c.startId, ids: c.ids, times: c.times, dups: c.dups,
      out_of_order: c.out_of_order, reconnects: c.reconnects, connect_errors: c.connect_errors,
      subscribe_errors: c.subscribe_errors, disconnects: c.disconnects, revoked: c.revoked,
      errors: c.errors,
    })),
  };
  const line = JSON.stringify(out) + "\n"; // before closing: closing counts a disconnect
  for (const c of conns) c.socket.close();
  process.stdout.write(line, () => process.exit(0));
}
