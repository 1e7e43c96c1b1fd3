/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

import { precompress } from "./precompress";

// The Python server serves the built bundle; `npm run dev` proxies the API and WebSocket to it.
export default defineConfig({
  plugins: [react(), precompress()],
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    environment: "jsdom",
  },
});
