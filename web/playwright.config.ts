import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests run against an already running kefu server whose base URL
 * is given in KEFU_E2E_URL (e.g. http://127.0.0.1:18080). The tests fail with
 * a clear message when it, or the other KEFU_E2E_* variables, are missing.
 */
export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: process.env.KEFU_E2E_URL,
    headless: true,
    locale: 'zh-CN',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
