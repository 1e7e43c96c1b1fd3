// Test-only: every camera the page opens is held to `window.__cameraLimits` (an init script added
// before this one may set it; by default 320x240 at 15 frames a second, so that a test with many
// participants fits the machine's two cores), whether asked for with getUserMedia or asked for
// another size later (applyConstraints, as the app does for the SFU). Chromium's fake camera draws
// whatever size it is asked for.
(() => {
  const limits = () => window.__cameraLimits ?? { width: 320, height: 240, frameRate: 15 };
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    if (constraints?.video) {
      const asked = constraints.video === true ? {} : constraints.video;
      constraints = { ...constraints, video: { ...asked, ...limits() } };
    }
    return getUserMedia(constraints);
  };
  const applyConstraints = MediaStreamTrack.prototype.applyConstraints;
  MediaStreamTrack.prototype.applyConstraints = function (constraints = {}) {
    const held = this.kind === "video" ? { ...constraints, ...limits() } : constraints;
    return applyConstraints.call(this, held);
  };
})();
