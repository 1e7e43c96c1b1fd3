// Test-only: every camera the page opens is asked for 320x240 at 15 frames a second, so that a
// test with many participants fits the machine's two cores (Chromium's fake camera draws whatever
// size it is asked for; the app asks for none).
(() => {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    if (constraints?.video) {
      const asked = constraints.video === true ? {} : constraints.video;
      constraints = { ...constraints, video: { ...asked, width: 320, height: 240, frameRate: 15 } };
    }
    return getUserMedia(constraints);
  };
})();
