import { describe, expect, it } from "vitest";

import { describeConnectivity, serversFor } from "./connectivityCheck";

const SERVERS: RTCIceServer[] = [
  { urls: "stun:turn.example.org:3478" },
  {
    urls: [
      "turn:turn.example.org:3478?transport=udp",
      "turn:turn.example.org:3478?transport=tcp",
      "turns:turn.example.org:443",
    ],
    username: "1800000000:u",
    credential: "secret",
  },
];

describe("serversFor", () => {
  it("keeps the URLs of one transport, with their credentials", () => {
    expect(serversFor(SERVERS, "udp")).toEqual([
      { urls: ["stun:turn.example.org:3478"] },
      {
        urls: ["turn:turn.example.org:3478?transport=udp"],
        username: "1800000000:u",
        credential: "secret",
      },
    ]);
    expect(serversFor(SERVERS, "tcp")).toEqual([
      {
        urls: ["turn:turn.example.org:3478?transport=tcp", "turns:turn.example.org:443"],
        username: "1800000000:u",
        credential: "secret",
      },
    ]);
  });
});

describe("describeConnectivity", () => {
  it("says what works, the most important first", () => {
    expect(describeConnectivity({ udp: true, tcp: true, anyAddress: true, rttMs: 12.4 })).toEqual([
      "Calls can use UDP, the best path for audio and video.",
      "A short test through the media server: 12 ms round trip.",
    ]);
    expect(
      describeConnectivity({ udp: false, tcp: true, anyAddress: true, rttMs: null })[0],
    ).toMatch(/UDP seems blocked/);
    expect(
      describeConnectivity({ udp: false, tcp: null, anyAddress: true, rttMs: null })[0],
    ).toMatch(/cannot be reached from here/);
    expect(
      describeConnectivity({ udp: false, tcp: false, anyAddress: false, rttMs: null })[0],
    ).toMatch(/No network address/);
  });
});
