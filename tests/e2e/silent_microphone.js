// Test-only: the page's microphone is silence (a WebAudio destination nothing plays into) instead
// of the browser's fake microphone, which all pages of a browser share (its command line may give
// it a sound file).
(() => {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    if (!constraints?.audio) return getUserMedia(constraints);
    window.__silence ??= new AudioContext(); // kept, so that it keeps running
    const silence = window.__silence.createMediaStreamDestination().stream;
    if (!constraints.video) return silence;
    const camera = await getUserMedia({ video: constraints.video });
    return new MediaStream([...silence.getAudioTracks(), ...camera.getVideoTracks()]);
  };
})();
