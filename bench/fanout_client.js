// Load client for bench/fanout.py: many socket.io-client connections in one Node process.
// Reads a JSON plan on stdin: {urls, origin, members: [{token, space_id, url_index}]}.
// Prints "READY <n>" once every connection is subscribed; on "DONE" on stdin it prints one
// JSON line with what each connection received (post marker -> receive time, ms since the
// epoch), duplicates, reconnects and this process's own CPU use, then exits.
"use strict";
const { io } = require("socket.io-client");
const { performance } = require("perf_hooks");

const now = () => performance.timeOrigin + performance.now();
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
  const newline = input.indexOf("\n");
  if (newline >= 0 && !global.plan) {
    global.plan = JSON.parse(input.slice(0, newline));
    input = input.slice(newline + 1);
    start(global.plan);
  }
  if (global.plan && input.includes("DONE")) finish();
});

const conns = [];
const cpuStart = process.cpuUsage();
const wallStart = now();

function start(plan) {
  let subscribed = 0;
  let next = 0;
  const batch = plan.batch || 100;
  const openOne = () => {
    if (next >= plan.members.length) return;
    const m = plan.members[next++];
    const c = { got: {}, ids: new Map(), dups: 0, lastId: null, reconnects: 0, ready: false,
                spaceId: m.space_id };
    conns.push(c);
    const socket = io(plan.urls[m.url_index || 0], {
      transports: ["websocket"], auth: { token: m.token }, extraHeaders: { Origin: plan.origin },
      reconnectionDelay: 300, reconnectionDelayMax: 2000, randomizationFactor: 0.5,
      timeout: 60000,
    });
    c.socket = socket;
    socket.on("event", (ev) => {
      const t = now();
      c.ids.set(ev.id, (c.ids.get(ev.id) || 0) + 1);
      if (c.ids.get(ev.id) > 1) c.dups++;
      if (c.lastId === null || ev.id > c.lastId) c.lastId = ev.id;
      if (ev.type === "post.created") {
        const match = /bench-(\d+)/.exec(ev.data.post.body_html || "");
        if (match && !(match[1] in c.got)) c.got[match[1]] = t;
      }
    });
    const subscribe = () => {
      socket.timeout(60000).emit("subscribe",
        { space_id: m.space_id, last_event_id: c.lastId }, (err, ack) => {
          if (err || !ack || !ack.ok) {
            c.subscribeErrors = (c.subscribeErrors || 0) + 1;
            console.error("subscribe failed, retrying", String(err), JSON.stringify(ack));
            if (socket.connected) setTimeout(subscribe, 500 + Math.random() * 500);
            return;
          }
          if (!c.ready) {
            c.ready = true;
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
    socket.on("connect_error", (e) => { c.connectErrors = (c.connectErrors || 0) + 1; void e; });
  };
  for (let i = 0; i < batch; i++) openOne();
}

function finish() {
  const cpu = process.cpuUsage(cpuStart);
  const out = {
    cpu_s: (cpu.user + cpu.system) / 1e6, wall_s: (now() - wallStart) / 1000,
    conns: conns.map((c) => ({ got: c.got, dups: c.dups, events: c.ids.size,
                               reconnects: c.reconnects, ready: c.ready,
                               subscribe_errors: c.subscribeErrors || 0, space_id: c.spaceId })),
  };
  process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
  for (const c of conns) c.socket.close();
}
