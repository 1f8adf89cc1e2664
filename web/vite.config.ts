import { fileURLToPath, URL } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/** Backend used by `npm run dev` for /api (HTTP and the /api/v1/live WebSocket). */
const devApi = process.env.KEFU_DEV_API ?? 'http://127.0.0.1:8080';

/**
 * In production the Rust server serves widget.html at /widget. Mirror that in
 * the dev server so the same URLs work during development.
 */
function widgetRoute(): Plugin {
  return {
    name: 'kefu-widget-route',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url === '/widget' || req.url?.startsWith('/widget?')) {
          req.url = '/widget.html' + req.url.slice('/widget'.length);
        }
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [vue(), widgetRoute()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        widget: fileURLToPath(new URL('./widget.html', import.meta.url)),
      },
      output: {
        codeSplitting: {
          groups: [
            // Shared by both pages; vue-router stays in the workspace bundle.
            { name: 'vendor', test: /node_modules[\\/](?!vue-router[\\/])/ },
            { name: 'shared', test: /[\\/]src[\\/]shared[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: devApi, changeOrigin: true, ws: true },
    },
  },
});
