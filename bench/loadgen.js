// The load generator of `make bench`: one process that drives Glimpse (its /ws protocol), the
// Socket.IO baseline (Engine.IO v4 framing over a plain WebSocket) and the raw `ws` server with
// the same client library, the same payloads and the same accounting.
//
//   node bench/loadgen.js CONFIG.json   -> prints one JSON result on stdout
//
// CONFIG: {protocol: "glimpse"|"socketio"|"raw", url, server_pid, scenario, clients: [{token,
// room}], ...scenario parameters}. Latency is measured from the send call to the moment the last
// recipient has read the message; every chat text carries its id after a `bench#` marker.
"use strict";
const fs = require("node:fs");
const readline = require("node:readline");
const { spawn } = require("node:child_process");
const { performance } = require("node:perf_hooks");
const WebSocket = require("ws");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const PROTOCOL = config.protocol;
const MARKER = Buffer.from("bench#");
const CHAT_PREFIX = { glimpse: Buffer.from('{"type":"chat"'), socketio: Buffer.from('42["chat"') };
const TICKS_PER_SECOND = 100; // /proc/PID/stat clock ticks

// ---- measurements -------------------------------------------------------------------------

function serverCpuSeconds() {
  const stat = fs.readFileSync(`/proc/${config.server_pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime + stime
}

function serverRssBytes() {
  const status = fs.readFileSync(`/proc/${config.server_pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

function generatorCpuSeconds() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** CPU use of server and generator over a window, as fractions of one core. */
function cpuMeter() {
  const start = { wall: performance.now(), server: serverCpuSeconds(), gen: generatorCpuSeconds() };
  return () => {
    const wall = (performance.now() - start.wall) / 1000;
    return {
      server_cpu: (serverCpuSeconds() - start.server) / wall,
      generator_cpu: (generatorCpuSeconds() - start.gen) / wall,
      server_cpu_seconds: serverCpuSeconds() - start.server,
    };
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- delivery accounting ------------------------------------------------------------------

/** Messages in flight: id -> {sentAt, remaining}; latencies of completed ones. */
const tracker = {
  nextId: 1,
  inFlight: new Map(),
  latencies: [],
  delivered: 0,
  start(recipients) {
    const id = this.nextId++;
    this.inFlight.set(id, { sentAt: performance.now(), remaining: recipients });
    return id;
  },
  receive(id) {
    const entry = this.inFlight.get(id);
    if (entry === undefined) return;
    this.delivered++;
    if (--entry.remaining === 0) {
      this.latencies.push(performance.now() - entry.sentAt);
      this.inFlight.delete(id);
    }
  },
  reset() {
    this.inFlight.clear();
    this.latencies = [];
    this.delivered = 0;
  },
};

function messageId(data) {
  const at = data.indexOf(MARKER);
  if (at < 0) return -1;
  let id = 0;
  for (let i = at + MARKER.length; data[i] >= 48 && data[i] <= 57; i++) id = id * 10 + data[i] - 48;
  return id;
}

function startsWith(data, prefix) {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

// ---- one client, three protocols ----------------------------------------------------------

class Client {
  constructor(token, room) {
    this.token = token;
    this.room = room;
    this.roster = new Set();
    this.participantId = null;
    this.closedWith = null;
    this.pendingAcks = new Map();
    this.nextAck = 1;
    this.waiters = [];
  }

  open() {
    const path =
      PROTOCOL === "glimpse" ? "/ws"
      : PROTOCOL === "socketio" ? "/socket.io/?EIO=4&transport=websocket"
      : `/?room=${encodeURIComponent(this.room)}`;
    this.ws = new WebSocket(config.url + path, { perMessageDeflate: false });
    this.ws.on("message", (data) => this.onFrame(data));
    this.ws.on("close", (code) => {
      this.closedWith = code;
      for (const waiter of this.waiters) waiter.reject(new Error(`closed with ${code}`));
      this.waiters = [];
    });
    this.ws.on("error", () => {});
    return new Promise((resolve, reject) => {
      this.ws.once("open", () => {
        if (PROTOCOL === "raw") resolve();
        else if (PROTOCOL === "glimpse") {
          this.send(JSON.stringify({ type: "auth", token: this.token }));
          this.waitFor("authenticated").then(resolve, reject);
        } else {
          this.send("40" + JSON.stringify({ token: this.token }));
          this.waitFor("connected").then(resolve, reject);
        }
      });
      this.ws.once("error", reject);
    });
  }

  join() {
    if (PROTOCOL === "raw") return Promise.resolve();
    if (PROTOCOL === "glimpse") {
      this.send(JSON.stringify({ type: "join", room: this.room }));
      return this.waitFor("joined");
    }
    return this.emitWithAck("join", { room: this.room }).then((answer) => this.onJoined(answer));
  }

  chat(id, padding) {
    const text = `bench#${id}#${padding}`;
    const clientId = `c${id}`;
    if (PROTOCOL === "glimpse") this.send(`{"type":"chat","client_id":"${clientId}","text":"${text}"}`);
    else if (PROTOCOL === "socketio") this.emitWithAck("chat", { client_id: clientId, text });
    else this.send(`{"type":"chat","client_id":"${clientId}","text":"${text}"}`);
  }

  send(text) {
    this.ws.send(text);
  }

  emitWithAck(event, body) {
    const ack = this.nextAck++;
    this.send(`42${ack}` + JSON.stringify([event, body]));
    return new Promise((resolve) => this.pendingAcks.set(ack, resolve));
  }

  waitFor(what) {
    return new Promise((resolve, reject) => this.waiters.push({ what, resolve, reject }));
  }

  settle(what, value) {
    const index = this.waiters.findIndex((waiter) => waiter.what === what);
    if (index >= 0) this.waiters.splice(index, 1)[0].resolve(value);
  }

  onJoined(answer) {
    this.participantId = answer.participant_id;
    for (const participant of answer.participants) this.roster.add(participant.id);
    this.settle("joined", answer);
  }

  onFrame(data) {
    if (PROTOCOL === "raw" || startsWith(data, CHAT_PREFIX[PROTOCOL])) {
      tracker.receive(messageId(data));
      return;
    }
    const text = data.toString();
    if (PROTOCOL === "glimpse") this.onGlimpseMessage(JSON.parse(text));
    else this.onEngineIoPacket(text);
  }

  onGlimpseMessage(message) {
    switch (message.type) {
      case "ping": this.send('{"type":"pong"}'); break;
      case "authenticated": this.settle("authenticated"); break;
      case "joined": this.onJoined(message); break;
      case "participant-joined": this.roster.add(message.participant.id); this.checkRoster(); break;
      case "participant-left": this.roster.delete(message.participant_id); break;
      case "error": process.stderr.write(`glimpse error: ${JSON.stringify(message)}\n`); break;
    }
  }

  onEngineIoPacket(text) {
    if (text === "2") return this.send("3"); // Engine.IO ping -> pong
    if (text.startsWith("40")) return this.settle("connected");
    if (text.startsWith("44")) {
      for (const waiter of this.waiters) waiter.reject(new Error(text));
      this.waiters = [];
      return;
    }
    if (text.startsWith("43")) {
      const bracket = text.indexOf("[");
      const resolve = this.pendingAcks.get(Number(text.slice(2, bracket)));
      this.pendingAcks.delete(Number(text.slice(2, bracket)));
      if (resolve) resolve(JSON.parse(text.slice(bracket))[0]);
      return;
    }
    if (text.startsWith("42")) {
      const [event, body] = JSON.parse(text.slice(2));
      if (event === "participant-joined") {
        this.roster.add(body.participant.id);
        this.checkRoster();
      } else if (event === "participant-left") this.roster.delete(body.participant_id);
    }
  }

  checkRoster() {
    if (this.rosterTarget && this.roster.size >= this.rosterTarget) this.settle("roster");
  }

  close() {
    this.ws.terminate();
  }
}

/** The clients that will stop reading run in a Python helper (see stalled_clients.py). */
class StalledClients {
  constructor(entries) {
    const pairs = entries.map((entry) => `${entry.token}:${entry.room}`);
    this.child = spawn(config.python, [config.stalled_helper, PROTOCOL, config.url, ...pairs], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  send(command) {
    this.child.stdin.write(command + "\n");
  }

  async next() {
    const { value, done } = await this.lines.next();
    if (done) throw new Error("the stalled clients' helper exited");
    return value;
  }
}

async function pool(items, concurrency, work) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(runners);
}

async function connectAll(entries, { join = true, concurrency = 50 } = {}) {
  const clients = entries.map((entry) => new Client(entry.token, entry.room));
  await pool(clients, concurrency, async (client) => {
    await client.open();
    if (join) await client.join();
  });
  return clients;
}

// ---- chat load at a fixed rate ------------------------------------------------------------

/** Send `rate` chats a second for `seconds`, round-robin over `senders`; then let them land. */
async function chatLoad(senders, recipients, rate, seconds, padding, drainMs) {
  tracker.reset();
  const cpu = cpuMeter();
  const started = performance.now();
  let sent = 0;
  let turn = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.min(rate * seconds, Math.floor(rate * elapsed));
      for (; sent < due; sent++) {
        const sender = senders[turn++ % senders.length];
        sender.chat(tracker.start(recipients(sender)), padding);
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const window = (performance.now() - started) / 1000;
  const usage = cpu();
  const deliveredInWindow = tracker.delivered;
  const drainEnd = performance.now() + drainMs;
  while (tracker.inFlight.size > 0 && performance.now() < drainEnd) await sleep(10);
  const lost = tracker.inFlight.size;
  const latencies = tracker.latencies.slice().sort((a, b) => a - b);
  for (let i = 0; i < lost; i++) latencies.push(Infinity);
  return {
    offered_chats_per_s: rate,
    chats_sent: sent,
    delivered_per_s: deliveredInWindow / window,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    incomplete: lost,
    ...usage,
  };
}

const PADDING = "x".repeat(config.text_chars ?? 100);

// ---- scenarios ----------------------------------------------------------------------------

const scenarios = {
  /** Metric 1: raise the chat rate in one room until p99 exceeds the limit; report each step. */
  async fanout() {
    const clients = await connectAll(config.clients);
    const recipients = () => clients.length - 1;
    const steps = [];
    const passes = (step) => step.incomplete === 0 && step.p99_ms <= config.p99_limit_ms;
    const healthy = () => clients.every((client) => client.closedWith === null);
    // A step passes when p99 stays within the limit in one of `attempts` tries: load from other
    // processes on the machine only ever adds latency.
    const run = async (rate) => {
      for (let attempt = 1; attempt <= config.attempts; attempt++) {
        await sleep(config.pause_ms);
        const step = await chatLoad(clients, recipients, rate, config.step_seconds, PADDING, config.drain_ms);
        step.attempt = attempt;
        step.passed = passes(step) && healthy();
        steps.push(step);
        if (step.passed) return true;
        if (!healthy()) return false;
      }
      return false;
    };
    let rate = config.start_rate;
    let low = 0;
    let high = 0;
    for (let index = 0; index < config.max_steps; index++) {
      if (await run(rate)) low = rate;
      else {
        high = rate;
        break;
      }
      rate = Math.round(rate * config.growth);
    }
    for (let i = 0; i < config.refine_steps && high && low && healthy(); i++) {
      const middle = Math.round(Math.sqrt(low * high));
      if (middle <= low || middle >= high) break;
      if (await run(middle)) low = middle;
      else high = middle;
    }
    const best = steps.filter((step) => step.passed).sort((a, b) => b.delivered_per_s - a.delivered_per_s)[0];
    for (const client of clients) client.close();
    return { steps, capacity_delivered_per_s: best ? best.delivered_per_s : 0, best_step: best ?? null,
      clients_dropped: clients.filter((client) => client.closedWith !== null).length };
  },

  /** Metric 2: latency at one fixed rate. */
  async latency() {
    const clients = await connectAll(config.clients);
    await sleep(config.pause_ms);
    const step = await chatLoad(clients, () => clients.length - 1, config.rate, config.step_seconds, PADDING, config.drain_ms);
    for (const client of clients) client.close();
    return step;
  },

  /** Metric 3: server memory per idle, authenticated, joined connection. */
  async idle() {
    await sleep(config.pause_ms);
    const before = serverRssBytes();
    const started = performance.now();
    const clients = await connectAll(config.clients, { concurrency: 100 });
    const connectSeconds = (performance.now() - started) / 1000;
    await sleep(config.settle_ms);
    const after = serverRssBytes();
    const open = clients.filter((client) => client.closedWith === null).length;
    for (const client of clients) client.close();
    return { connections: clients.length, open, rss_before: before, rss_after: after,
      bytes_per_connection: (after - before) / clients.length, connect_seconds: connectSeconds };
  },

  /** Metric 4: joins spread over one second; time until every client holds the full roster. */
  async joinstorm() {
    const clients = await connectAll(config.clients, { join: false, concurrency: 100 });
    const target = clients.length;
    await sleep(config.pause_ms);
    const cpu = cpuMeter();
    const started = performance.now();
    const complete = clients.map((client) => {
      client.rosterTarget = target;
      return client.waitFor("roster");
    });
    const spacing = (config.spread_ms ?? 1000) / clients.length;
    await Promise.all(clients.map(async (client, index) => {
      await sleep(index * spacing);
      await client.join();
      client.checkRoster();
    }));
    await Promise.race([Promise.all(complete), sleep(config.timeout_ms)]);
    const seconds = (performance.now() - started) / 1000;
    const usage = cpu();
    const full = clients.filter((client) => client.roster.size >= target).length;
    for (const client of clients) client.close();
    return { joins: target, all_rosters_full_s: full === target ? seconds : null,
      clients_with_full_roster: full, server_cpu_seconds: usage.server_cpu_seconds,
      generator_cpu: usage.generator_cpu };
  },

  /** Metric 5: some clients stop reading while the room chats; the rest must not suffer. */
  async slow() {
    const stalledEntries = config.clients.slice(0, config.stalled);
    const stalled = new StalledClients(stalledEntries);
    await stalled.next(); // "ready": joined, and reading
    const healthy = await connectAll(config.clients.slice(config.stalled));
    const recipients = () => healthy.length - 1; // the stalled ones are not counted
    const padding = "x".repeat(config.slow_text_chars);
    await sleep(config.pause_ms);
    const before = await chatLoad(healthy, recipients, config.rate, config.step_seconds, padding, config.drain_ms);
    stalled.send("stall");
    await stalled.next();
    const rssStart = serverRssBytes();
    let rssMax = rssStart;
    const sampler = setInterval(() => { rssMax = Math.max(rssMax, serverRssBytes()); }, 250);
    const during = await chatLoad(healthy, recipients, config.rate, config.stall_seconds, padding, config.drain_ms);
    clearInterval(sampler);
    const rssEnd = serverRssBytes();
    stalled.send("resume");
    const closeCodes = JSON.parse(await stalled.next());
    const result = {
      healthy_before: before, healthy_during: during,
      p99_ratio: during.p99_ms / before.p99_ms,
      rss_start: rssStart, rss_max: rssMax, rss_end: rssEnd,
      stalled: stalledEntries.length,
      stalled_dropped: closeCodes.filter((code) => code !== null).length,
      stalled_close_codes: closeCodes,
      healthy_dropped: healthy.filter((client) => client.closedWith !== null).length,
    };
    for (const client of healthy) client.close();
    return result;
  },
};

scenarios[config.scenario]().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  },
  (error) => {
    process.stderr.write(`loadgen failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
