// The original stack's server for `make bench`: Socket.IO v4 doing Glimpse's work for the benched
// scenarios. Token check on connect (JWT HS256 + user lookup), room join with roster and latest
// chat, chat stored with one SQLite transaction per message (next seq + insert) then broadcast,
// typing relay, media state broadcast, signal relay to one participant. No rate limits, no room
// size limit, no send queue limit. Compression off.
// Environment: PORT, DB_PATH, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE.
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");
const Database = require("better-sqlite3");
const jwt = require("jsonwebtoken");

const db = new Database(process.env.DB_PATH);
db.pragma("journal_mode = WAL"); // the same durability settings as Glimpse's SQLite store
db.pragma("synchronous = NORMAL");
db.exec(`
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, display_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (id TEXT PRIMARY KEY, name TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS memberships (room_id TEXT NOT NULL, user_id TEXT NOT NULL,
  last_joined_at TEXT NOT NULL, PRIMARY KEY (room_id, user_id));
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, room_id TEXT NOT NULL,
  seq INTEGER NOT NULL, sender_id TEXT NOT NULL, sender_name TEXT NOT NULL,
  client_id TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (room_id, seq), UNIQUE (room_id, sender_id, client_id));
`);
const getUser = db.prepare("SELECT id, display_name FROM users WHERE id = ?");
const getRoom = db.prepare("SELECT id, name FROM rooms WHERE id = ?");
const recordJoin = db.prepare(
  "INSERT INTO memberships VALUES (?, ?, ?) ON CONFLICT (room_id, user_id)" +
    " DO UPDATE SET last_joined_at = excluded.last_joined_at",
);
const latest = db.prepare("SELECT * FROM messages WHERE room_id = ? ORDER BY seq DESC LIMIT 51");
const findMessage = db.prepare(
  "SELECT * FROM messages WHERE room_id = ? AND sender_id = ? AND client_id = ?",
);
const nextSeq = db.prepare("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq");
const insertMessage = db.prepare(
  "INSERT INTO messages VALUES (@id, @room_id, @seq, @sender_id, @sender_name, @client_id, @text, @created_at)",
);
const appendMessage = db.transaction((message) => {
  message.seq = nextSeq.get(message.room_id).last_seq;
  insertMessage.run(message);
  return message;
});

const rosters = new Map(); // room id -> Map(participant id -> participant)

const httpServer = http.createServer((request, response) => {
  response.writeHead(request.url === "/health" ? 200 : 404).end();
});
const io = new Server(httpServer, {
  perMessageDeflate: false,
  httpCompression: false,
  transports: ["websocket"],
  cors: { origin: true },
});

io.use((socket, next) => {
  try {
    const claims = jwt.verify(String(socket.handshake.auth.token), process.env.JWT_SECRET, {
      algorithms: ["HS256"],
      issuer: process.env.JWT_ISSUER,
      audience: process.env.JWT_AUDIENCE,
    });
    const user = getUser.get(claims.sub);
    if (!user) return next(new Error("invalid_token"));
    socket.data.user = user;
    next();
  } catch {
    next(new Error("invalid_token"));
  }
});

io.on("connection", (socket) => {
  const user = socket.data.user;
  let roomId = null;
  let participant = null;

  socket.on("join", (request, ack) => {
    const room = getRoom.get(String(request.room));
    if (!room || roomId) return ack({ error: room ? "already_in_room" : "room_not_found" });
    roomId = room.id;
    participant = { id: socket.id, user_id: user.id, display_name: user.display_name,
      media: request.media ?? { audio: false, video: false, screen: false } };
    if (!rosters.has(roomId)) rosters.set(roomId, new Map());
    const roster = rosters.get(roomId);
    roster.set(participant.id, participant);
    socket.join(roomId);
    socket.to(roomId).emit("participant-joined", { participant });
    recordJoin.run(roomId, user.id, new Date().toISOString());
    const messages = latest.all(roomId);
    const more = messages.length > 50;
    ack({ room, participant_id: participant.id, participants: [...roster.values()],
      messages: messages.slice(0, 50).reverse(), more_messages: more });
  });

  socket.on("chat", (request, ack) => {
    if (!roomId) return ack({ error: "not_in_room" });
    const text = String(request.text ?? "");
    if (!text.trim() || text.length > 4000) return ack({ error: "bad_text" });
    const existing = findMessage.get(roomId, user.id, String(request.client_id));
    if (existing) return ack({ message: existing });
    const message = appendMessage({ id: crypto.randomUUID(), room_id: roomId, seq: 0,
      sender_id: user.id, sender_name: user.display_name, client_id: String(request.client_id),
      text, created_at: new Date().toISOString() });
    socket.to(roomId).emit("chat", { message });
    ack({ message });
  });

  socket.on("typing", (request) => {
    if (roomId) socket.to(roomId).emit("typing", { participant_id: socket.id, active: !!request.active });
  });

  socket.on("media", (request) => {
    if (!participant) return;
    participant.media = { audio: !!request.audio, video: !!request.video, screen: !!request.screen };
    socket.to(roomId).emit("participant-updated", { participant });
  });

  socket.on("signal", (request, ack) => {
    const roster = roomId && rosters.get(roomId);
    if (!roster || request.to === socket.id || !roster.has(request.to)) {
      return ack({ error: "unknown_participant" });
    }
    io.to(request.to).emit("signal", { sender: socket.id, kind: request.kind, sdp: request.sdp,
      candidate: request.candidate });
    ack({});
  });

  socket.on("disconnect", () => {
    if (!roomId) return;
    const roster = rosters.get(roomId);
    roster.delete(socket.id);
    if (roster.size === 0) rosters.delete(roomId);
    socket.to(roomId).emit("participant-left", { participant_id: socket.id });
  });
});

httpServer.listen(Number(process.env.PORT), "127.0.0.1");
