// Test-only instrumentation, added to every page by the end-to-end tests (never part of the app):
// it keeps the page's RTCPeerConnections so the tests can read their getStats(), times the
// first decoded remote video frame after a click on "Join room", the longest time each remote
// video shows nothing or stands still while a test watches, counts the WebSockets the page
// opens and the token renewals and `handed-over` signals it sends on them (and can cut them,
// leaving the peer connections alone), follows a remote video's decoded frames, their size as
// received and the peer connection carrying them, breaks that connection or the camera's
// publication to the SFU on demand, and keeps every camera, microphone and screen track the page
// was given, to tell whether they were all stopped.
(() => {
  const mediaTracks = [];
  /** The camera tracks among them. */
  const cameraTracks = new Set();
  const devices = navigator.mediaDevices;
  for (const name of ["getUserMedia", "getDisplayMedia"]) {
    const native = devices[name].bind(devices);
    devices[name] = async (...args) => {
      const stream = await native(...args);
      mediaTracks.push(...stream.getTracks());
      if (name === "getUserMedia") stream.getVideoTracks().forEach((t) => cameraTracks.add(t));
      return stream;
    };
  }
  /** How many device tracks the page was given, and how many of them are still live. */
  window.__mediaTracks = () => ({
    given: mediaTracks.length,
    live: mediaTracks.filter((t) => t.readyState === "live").length,
  });

  window.__sockets = { opened: 0, renewals: 0, handedOver: new Set(), cut: false, open: new Set() };
  /** How many participants this page told `handed-over` (the new path brings them) since the last call. */
  window.__handedOver = () => {
    const told = window.__sockets.handedOver.size;
    window.__sockets.handedOver.clear();
    return told;
  };
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(url, ...rest) {
      // While cut, new sockets go nowhere: port 9 on loopback (discard) refuses them.
      super(window.__sockets.cut ? "ws://127.0.0.1:9/ws" : url, ...rest);
      window.__sockets.opened += 1;
      window.__sockets.open.add(this);
      this.addEventListener("close", () => window.__sockets.open.delete(this));
    }

    send(data) {
      const message = typeof data === "string" ? JSON.parse(data) : {};
      if (message.type === "renew") window.__sockets.renewals += 1;
      if (message.type === "signal" && message.kind === "handed-over") window.__sockets.handedOver.add(message.to);
      super.send(data);
    }
  };

  /** The signaling path goes down (the page's WebSockets drop, new ones fail), media untouched. */
  window.__cutSockets = () => {
    window.__sockets.cut = true;
    for (const socket of window.__sockets.open) socket.close(4000, "cut by the test");
  };
  window.__restoreSockets = () => {
    window.__sockets.cut = false;
  };

  const connections = [];
  /** Connections the test broke: closed, though they say `failed`. */
  const broken = new WeakSet();
  const closed = (pc) => broken.has(pc) || pc.connectionState === "closed";
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      connections.push(this);
    }
  };
  /** The page's peer connections that are not closed. */
  window.__peerConnections = () => connections.filter((pc) => !closed(pc));

  async function inboundVideo() {
    const reports = [];
    for (const pc of connections) {
      if (closed(pc)) continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") reports.push(s);
      });
    }
    return reports;
  }

  function watchFirstFrame() {
    const timer = setInterval(async () => {
      if ((await inboundVideo()).some((s) => s.framesDecoded > 0) && window.__firstFrameAt === undefined) {
        window.__firstFrameAt = performance.now();
        clearInterval(timer);
      }
    }, 10);
  }

  document.addEventListener(
    "click",
    (event) => {
      const button = event.target instanceof Element ? event.target.closest("button") : null;
      if (button && button.textContent.trim() === "Join room" && window.__joinClickedAt === undefined) {
        window.__joinClickedAt = performance.now();
        watchFirstFrame();
      }
    },
    true,
  );

  const remoteVideo = (name) =>
    document.querySelector(`figure[data-participant="${CSS.escape(name)}"]:not([data-self]) video`);

  /** The inbound-rtp statistics of the receiver of `track`, on the open connection that has it. */
  async function inboundOf(track) {
    for (const pc of connections) {
      const receiver = closed(pc) ? undefined : pc.getReceivers().find((r) => r.track === track);
      if (receiver === undefined) continue;
      let inbound;
      (await receiver.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp") inbound = s;
      });
      return inbound;
    }
    return undefined;
  }

  /** A number of its own for each track object (their ids repeat: Janus names them by mid). */
  const trackNumbers = new WeakMap();
  let tracksNumbered = 0;
  const numberOf = (track) => {
    if (!trackNumbers.has(track)) trackNumbers.set(track, ++tracksNumbered);
    return trackNumbers.get(track);
  };

  /**
   * The video track this page shows for `name` (a number of its own) and the frames decoded of it
   * so far ([null, -1]: none yet). A track that replaces another (a new connection) counts from 0.
   */
  window.__videoDecoding = async (name) => {
    const track = remoteVideo(name)?.srcObject?.getVideoTracks()[0];
    if (!track) return [null, -1];
    const report = await inboundOf(track);
    return [numberOf(track), report ? (report.framesDecoded ?? 0) : -1];
  };

  /**
   * Follow the videos this page shows for `names`, every 50 ms: `__videoGaps()` stops it and
   * tells, per name, in ms, the longest time without a video decoding (`blank`: no track shown,
   * or one with no frame decoded yet) and the longest without a new decoded frame of the video
   * shown (`pause`; a new track's first frame counts), each with the time since included.
   */
  window.__watchGaps = (names) => {
    const watched = new Map(names.map((name) => [name, { blank: 0, pause: 0, last: null, blankSince: null }]));
    const sample = async () => {
      for (const [name, video] of watched) {
        const [track, frames] = await window.__videoDecoding(name);
        const now = performance.now();
        if (frames <= 0) video.blankSince ??= now;
        else if (video.blankSince !== null) {
          video.blank = Math.max(video.blank, now - video.blankSince);
          video.blankSince = null;
        }
        const { last } = video;
        if (last === null || (frames > 0 && (track !== last.track || frames !== last.frames))) {
          if (last !== null) video.pause = Math.max(video.pause, now - last.at);
          video.last = { track, frames, at: now };
        }
      }
    };
    const timer = setInterval(() => void sample(), 50);
    window.__videoGaps = () => {
      clearInterval(timer);
      const now = performance.now();
      return Object.fromEntries(
        [...watched].map(([name, { blank, pause, last, blankSince }]) => [
          name,
          {
            blank: Math.round(Math.max(blank, now - (blankSince ?? now))),
            pause: Math.round(Math.max(pause, now - (last?.at ?? now))),
          },
        ]),
      );
    };
  };

  /** Frames decoded so far of the video this page shows for `name` (-1: none yet). */
  window.__videoFrames = async (name) => (await window.__videoDecoding(name))[1];

  /**
   * Bytes the page has sent on its peer connections so far (RTP headers and payload, all media);
   * a connection that closed counts with its last reading, so the sum never goes back.
   */
  const lastBytesSent = new Map();
  window.__bytesSent = async () => {
    for (const pc of connections) {
      if (closed(pc)) continue;
      let bytes = 0;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "outbound-rtp") bytes += (s.bytesSent ?? 0) + (s.headerBytesSent ?? 0);
      });
      lastBytesSent.set(pc, bytes);
    }
    return [...lastBytesSent.values()].reduce((sum, bytes) => sum + bytes, 0);
  };

  /** The remote ports of the candidate pairs the page's open peer connections use. */
  window.__remotePorts = async () => {
    const ports = [];
    for (const pc of connections) {
      if (closed(pc)) continue;
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === "transport" && s.selectedCandidatePairId) {
          const pair = stats.get(s.selectedCandidatePairId);
          const remote = pair && stats.get(pair.remoteCandidateId);
          if (remote) ports.push(remote.port);
        }
      });
    }
    return ports;
  };

  /** The peer connections the page created (closed ones too). */
  window.__peerConnectionsCreated = () => connections.length;

  /**
   * Follow `name`'s video: every 50 ms, the frames decoded and which peer connection (its index
   * in creation order) carries them. `__frameWatch()` tells the longest time frames did not
   * rise, the connections seen and the frames decoded since the watch began.
   */
  window.__watchFrames = (name) => {
    const watch = { name, longestStallMs: 0, connections: new Set(), frames: 0 };
    let last = null;
    window.__watch = watch;
    const sample = async () => {
      const track = remoteVideo(name)?.srcObject?.getVideoTracks()[0];
      const now = performance.now();
      for (const [index, pc] of connections.entries()) {
        if (!track || closed(pc)) continue;
        (await pc.getStats()).forEach((s) => {
          if (s.type !== "inbound-rtp" || s.kind !== "video" || s.trackIdentifier !== track.id) return;
          watch.connections.add(index);
          if (last === null || s.framesDecoded > last.frames) {
            if (last !== null) watch.frames += s.framesDecoded - last.frames;
            last = { frames: s.framesDecoded, at: now };
          }
        });
      }
      if (last !== null) watch.longestStallMs = Math.max(watch.longestStallMs, now - last.at);
    };
    watch.timer = setInterval(() => void sample(), 50);
  };

  window.__frameWatch = () => ({
    longestStallMs: Math.round(window.__watch.longestStallMs),
    connections: [...window.__watch.connections],
    frames: window.__watch.frames,
  });

  /** The frames of `name`'s video as received ([frameWidth, frameHeight] of its inbound-rtp). */
  window.__receivedFrameSize = async (name) => {
    const track = remoteVideo(name)?.srcObject?.getVideoTracks()[0];
    const report = track && (await inboundOf(track));
    return report?.frameWidth ? [report.frameWidth, report.frameHeight] : [0, 0];
  };

  /**
   * The peer connection carrying `name`'s video breaks as one whose ICE failed: nothing more
   * arrives on it (it is closed) and it tells the page `failed`. Its index in creation order.
   */
  window.__breakVideoConnection = (name) => {
    const track = remoteVideo(name)?.srcObject?.getVideoTracks()[0];
    return breakConnection((pc) => track && pc.getReceivers().some((r) => r.track === track));
  };

  /**
   * The page's camera publication to the SFU (its sendonly connection sending the camera) breaks
   * as `__breakVideoConnection`'s does. Its index in creation order.
   */
  window.__breakCameraPublication = () =>
    breakConnection((pc) =>
      pc
        .getTransceivers()
        .some((t) => t.direction === "sendonly" && cameraTracks.has(t.sender.track)),
    );

  /** The first open connection that `chosen` picks closes and tells the page `failed`. */
  function breakConnection(chosen) {
    for (const [index, pc] of connections.entries()) {
      if (closed(pc) || !chosen(pc)) continue;
      pc.close();
      broken.add(pc);
      Object.defineProperty(pc, "connectionState", { value: "failed" });
      pc.dispatchEvent(new Event("connectionstatechange"));
      return index;
    }
    return -1;
  }

  window.__videoSize = (name) => {
    const video = remoteVideo(name);
    return video ? [video.videoWidth, video.videoHeight] : [0, 0];
  };

  /** Peak level of `name`'s audio over about a second, from a WebAudio analyser. */
  window.__audioPeak = async (name) => {
    const tracks = remoteVideo(name)?.srcObject?.getAudioTracks() ?? [];
    if (tracks.length === 0) return 0;
    const context = new AudioContext();
    await context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(new MediaStream(tracks)).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let peak = 0;
    for (let i = 0; i < 25; i++) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      analyser.getFloatTimeDomainData(samples);
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
    }
    await context.close();
    return peak;
  };
})();
