// The dashboard's build: web/ → dist/web (served by the API, src/api/dashboard.ts).
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // No inline polyfill script: the Content-Security-Policy allows scripts from this origin only.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
});
