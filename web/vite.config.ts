import { defineConfig } from "vite";

// The SDK is built from its sources with the app (one copy of openapi-fetch: the app's).
const sdk = decodeURIComponent(new URL("../clients/typescript/src/index.ts", import.meta.url).pathname);

// The gateway serves the build at / (services/gateway/webapp.py); `npm run dev` proxies the API to a
// local `make run`.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  resolve: { alias: { "@coderunhub/client": sdk }, dedupe: ["openapi-fetch"] },
  build: {
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1000,
    // Two pages: the app (index.html) and the embeddable snippet widget (embed.html, /embed/<token>).
    rollupOptions: { input: { main: "index.html", embed: "embed.html" } },
  },
  server: {
    proxy: {
      "/v1": { target: "http://127.0.0.1:8000", ws: true },
      "/auth": "http://127.0.0.1:8000",
    },
  },
});
