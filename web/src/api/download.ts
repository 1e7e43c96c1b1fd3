/** Downloads through the browser itself: a link it follows, the file saved as it arrives. */

/** Follow a download link (an attachment: the page stays where it is). */
export function startDownload(url: string): void {
  window.location.assign(url);
}
