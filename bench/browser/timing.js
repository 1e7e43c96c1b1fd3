// Bench-only timing, added to every page of metric 6 (the bench's own call page and the Glimpse
// web client alike): for each RTCPeerConnection, when its offer/answer exchange completed and
// when its first remote video frame was decoded, measured from the join.
//   window.__joinAt: set by the bench page, or by a click on the web client's "Join room".
//   window.__callTimes(): [{signaledAt, firstFrameAt}] relative to the join, one per connection.
(() => {
  const connections = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      const entry = { pc: this, signaledAt: null, firstFrameAt: null };
      connections.push(entry);
      this.addEventListener("signalingstatechange", () => {
        if (this.signalingState === "stable" && this.remoteDescription && entry.signaledAt === null) {
          entry.signaledAt = performance.now();
        }
      });
      const poll = setInterval(async () => {
        if (this.connectionState === "closed") return clearInterval(poll);
        (await this.getStats()).forEach((report) => {
          if (report.type === "inbound-rtp" && report.kind === "video" && report.framesDecoded > 0
              && entry.firstFrameAt === null) {
            entry.firstFrameAt = performance.now();
            clearInterval(poll);
          }
        });
      }, 5);
    }
  };

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (button && button.textContent.trim() === "Join room" && window.__joinAt === undefined) {
      window.__joinAt = performance.now();
    }
  }, true);

  window.__callTimes = () =>
    connections.map(({ signaledAt, firstFrameAt }) => ({
      signaledAt: signaledAt === null ? null : signaledAt - window.__joinAt,
      firstFrameAt: firstFrameAt === null ? null : firstFrameAt - window.__joinAt,
    }));
})();
