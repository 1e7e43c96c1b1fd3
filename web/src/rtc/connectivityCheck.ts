/**
 * The pre-join connectivity check: can this browser reach the STUN/TURN servers over UDP and over
 * TCP, and what round trip does a short data-channel test through them measure; in plain words.
 */

export interface ConnectivityReport {
  /** A TURN relay over UDP, or a STUN answer, was obtained. */
  udp: boolean;
  /** A TURN relay over TCP was obtained (null: the server offers none). */
  tcp: boolean | null;
  /** Any candidate at all (false: no usable network address). */
  anyAddress: boolean;
  /** Round trip of a data channel between two connections in this page through the servers. */
  rttMs: number | null;
}

const GATHER_TIMEOUT_MS = 5000;
const PINGS = 5;

type Transport = "udp" | "tcp";

/** The URLs of `servers` that use `transport` (a TURN URL without `?transport=` is UDP). */
export function serversFor(servers: readonly RTCIceServer[], transport: Transport): RTCIceServer[] {
  return servers.flatMap((server) => {
    const urls = (Array.isArray(server.urls) ? server.urls : [server.urls]).filter((url) => {
      const tcp = /[?&]transport=tcp/i.test(url) || url.startsWith("turns:");
      if (url.startsWith("stun:")) return transport === "udp";
      return transport === "tcp" ? tcp : !tcp;
    });
    return urls.length > 0 ? [{ ...server, urls }] : [];
  });
}

/** The candidates one connection gathers with `servers` (until done or the timeout). */
async function gather(
  servers: RTCIceServer[],
  policy: RTCIceTransportPolicy,
): Promise<RTCIceCandidate[]> {
  const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: policy });
  const candidates: RTCIceCandidate[] = [];
  try {
    const complete = new Promise<void>((resolve) => {
      pc.onicecandidate = ({ candidate }) => (candidate ? candidates.push(candidate) : resolve());
      setTimeout(resolve, GATHER_TIMEOUT_MS);
    });
    pc.createDataChannel("check");
    await pc.setLocalDescription();
    await complete;
    return candidates;
  } finally {
    pc.close();
  }
}

/** Median round trip (ms) of a data channel between two relay-only connections in this page. */
async function roundTrip(servers: RTCIceServer[]): Promise<number | null> {
  const config: RTCConfiguration = { iceServers: servers, iceTransportPolicy: "relay" };
  const [a, b] = [new RTCPeerConnection(config), new RTCPeerConnection(config)];
  a.onicecandidate = ({ candidate }) => void (candidate && b.addIceCandidate(candidate));
  b.onicecandidate = ({ candidate }) => void (candidate && a.addIceCandidate(candidate));
  b.ondatachannel = ({ channel }) => (channel.onmessage = ({ data }) => channel.send(data));
  const channel = a.createDataChannel("ping");
  try {
    const open = new Promise<boolean>((resolve) => {
      channel.onopen = () => resolve(true);
      setTimeout(() => resolve(false), GATHER_TIMEOUT_MS);
    });
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    if (!(await open)) return null;
    const times: number[] = [];
    for (let i = 0; i < PINGS; i++) {
      const sent = performance.now();
      // The path may die after the channel opened: each answer is waited for a bounded time.
      const answered = await new Promise<boolean>((resolve) => {
        channel.onmessage = () => resolve(true);
        channel.onclose = () => resolve(false);
        setTimeout(() => resolve(false), GATHER_TIMEOUT_MS);
        channel.send(String(i));
      });
      if (!answered) return null;
      times.push(performance.now() - sent);
    }
    times.sort((x, y) => x - y);
    return times[Math.floor(times.length / 2)] ?? null;
  } finally {
    a.close();
    b.close();
  }
}

export async function checkConnectivity(
  servers: readonly RTCIceServer[],
): Promise<ConnectivityReport> {
  const udpServers = serversFor(servers, "udp");
  const tcpServers = serversFor(servers, "tcp");
  const [udp, tcp] = await Promise.all([
    gather(udpServers, "all"),
    tcpServers.length > 0 ? gather(tcpServers, "relay") : Promise.resolve(null),
  ]);
  const reached = (candidates: RTCIceCandidate[]) =>
    candidates.some((c) => c.type === "relay" || c.type === "srflx");
  const relays = [...udp, ...(tcp ?? [])].some((c) => c.type === "relay");
  return {
    udp: reached(udp),
    tcp: tcp === null ? null : reached(tcp),
    anyAddress: udp.length > 0 || (tcp?.length ?? 0) > 0,
    rttMs: relays ? await roundTrip([...servers]) : null,
  };
}

/** The report in sentences a person understands, the most important first. */
export function describeConnectivity(report: ConnectivityReport): string[] {
  const lines: string[] = [];
  if (!report.anyAddress) {
    return [
      "No network address could be found for calls: a VPN or a firewall may be blocking them.",
    ];
  }
  if (report.udp) lines.push("Calls can use UDP, the best path for audio and video.");
  else if (report.tcp)
    lines.push("UDP seems blocked here: calls will go over TCP, which may lag a little.");
  else
    lines.push(
      "Glimpse's media servers cannot be reached from here: calls may work only with people on the same network.",
    );
  if (report.tcp === false && report.udp)
    lines.push("The fallback over TCP cannot be reached (only needed if UDP fails).");
  if (report.rttMs !== null)
    lines.push(`A short test through the media server: ${Math.round(report.rttMs)} ms round trip.`);
  return lines;
}
