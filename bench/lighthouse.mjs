// Lighthouse (mobile preset, its simulated throttling) on pages of a running Glimpse, in Debian's
// Chromium. Driven by bench/lighthouse.py: node lighthouse.mjs BASE_URL REFRESH_COOKIE PATH...
// A path "signed-in:/" is loaded with the refresh cookie, so the client signs in by itself.
// Prints one JSON object: {path: {performance, accessibility, "best-practices", metrics...}}.
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const [baseUrl, cookie, ...paths] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? "/usr/lib/chromium/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const results = {};
try {
  for (const entry of paths) {
    const signedIn = entry.startsWith("signed-in:");
    const path = signedIn ? entry.slice("signed-in:".length) : entry;
    const flags = {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
      ...(signedIn ? { extraHeaders: { Cookie: `glimpse_refresh=${cookie}` } } : {}),
    };
    const { lhr } = await lighthouse(baseUrl + path, flags);
    const scores = Object.fromEntries(
      Object.entries(lhr.categories).map(([id, category]) => [id, Math.round(category.score * 100)]),
    );
    const metric = (id) => Math.round(lhr.audits[id].numericValue);
    const failed = Object.values(lhr.audits)
      .filter((audit) => audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === "binary")
      .map((audit) => audit.id);
    results[entry] = {
      ...scores,
      fcp_ms: metric("first-contentful-paint"),
      lcp_ms: metric("largest-contentful-paint"),
      tbt_ms: metric("total-blocking-time"),
      cls: lhr.audits["cumulative-layout-shift"].numericValue,
      failed_binary_audits: failed,
      final_url: lhr.finalDisplayedUrl,
    };
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
