// The upper reference for `make bench`: a raw `ws` server that relays each text frame to every
// other socket of the same room (`/?room=NAME`). No auth, no storage, no parsing. Compression off.
"use strict";
const http = require("node:http");
const { WebSocketServer } = require("ws");

const rooms = new Map(); // room name -> Set(socket)
const httpServer = http.createServer((request, response) => {
  response.writeHead(request.url === "/health" ? 200 : 404).end();
});
const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false });

wss.on("connection", (socket, request) => {
  const room = new URL(request.url, "http://x").searchParams.get("room") ?? "";
  if (!rooms.has(room)) rooms.set(room, new Set());
  const members = rooms.get(room);
  members.add(socket);
  socket.on("message", (data, isBinary) => {
    for (const other of members) if (other !== socket) other.send(data, { binary: isBinary });
  });
  socket.on("close", () => {
    members.delete(socket);
    if (members.size === 0) rooms.delete(room);
  });
});

httpServer.listen(Number(process.env.PORT), "127.0.0.1");
