import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The console is built to dist/console, which the gateway serves at `/`. `npx vite apps/console`
// serves it in development, with /api and /ws proxied to a Wiz on :8080.
export default defineConfig({
  root: here('.'),
  base: '/',
  resolve: {
    alias: [
      { find: /^@wiz\/client$/, replacement: here('../../libs/client/src/index.ts') },
      { find: /^@wiz\/contracts$/, replacement: here('../../libs/contracts/src/index.ts') },
      // One module of the library (`@wiz/contracts/vocabulary`), as the typed client imports them.
      { find: /^@wiz\/contracts\/(.+)$/, replacement: `${here('../../libs/contracts/src')}/$1.ts` },
    ],
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rollupOptions: {
      // The contracts library only declares (schemas, constants): a module of it whose exports the
      // console does not use is left out. The console uses its zod-free values (vocabulary.ts), so
      // neither the schemas nor zod are in the bundle.
      treeshake: { moduleSideEffects: (id) => !id.includes('/libs/contracts/src/') },
      // zod ships comments rollup cannot place; harmless, and not ours to fix.
      onwarn: (w, warn) => (w.code === 'INVALID_ANNOTATION' ? undefined : warn(w)),
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/health': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
