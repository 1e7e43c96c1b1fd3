// Test-only: a second camera, "Canvas camera", drawn in the page (solid magenta, 320x240, with a
// moving bar so frames keep coming). Chromium's own second fake camera gives a depth format that
// WebRTC does not send, so the device switch is tested with this one. Also records the output
// each Web Audio context plays on (`window.__audioSinks`), to check the speaker test's output.
(() => {
  const DEVICE_ID = "canvas-camera";
  const devices = navigator.mediaDevices;
  const enumerate = devices.enumerateDevices.bind(devices);
  devices.enumerateDevices = async () => [
    ...(await enumerate()),
    { kind: "videoinput", deviceId: DEVICE_ID, groupId: DEVICE_ID, label: "Canvas camera", toJSON() {} },
  ];
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const wanted = constraints?.video?.deviceId?.exact;
    if (wanted !== DEVICE_ID) return getUserMedia(constraints);
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext("2d");
    let x = 0;
    setInterval(() => {
      context.fillStyle = "#ff00ff";
      context.fillRect(0, 0, 320, 240);
      context.fillStyle = "#00ff00";
      context.fillRect((x = (x + 8) % 320), 0, 16, 24);
    }, 50);
    const stream = canvas.captureStream(20);
    const track = stream.getVideoTracks()[0];
    const settings = track.getSettings.bind(track);
    track.getSettings = () => ({ ...settings(), deviceId: DEVICE_ID }); // as a camera's says
    return stream;
  };

  window.__audioSinks = [];
  const setSinkId = AudioContext.prototype.setSinkId;
  AudioContext.prototype.setSinkId = function (sinkId) {
    window.__audioSinks.push(sinkId);
    return setSinkId.call(this, sinkId);
  };
})();
