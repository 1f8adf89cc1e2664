import { test, expect, type Browser, type Page } from '@playwright/test';

/**
 * End-to-end chat between a shopper (widget) and an agent (workspace), run
 * against a live kefu server. Required environment:
 *   KEFU_E2E_URL          base URL of the server, e.g. http://127.0.0.1:18080
 *   KEFU_E2E_WIDGET_PATH  e.g. /widget?shop=demo&user_id=C00001&user_hash=…
 *   KEFU_E2E_USERNAME     agent username for shop "demo"
 *   KEFU_E2E_PASSWORD     agent password
 */

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required for the e2e tests`);
  return value;
}

const SHOPPER_TEXT = '你好，纸尿裤什么时候发货？';
const AGENT_TEXT = '亲，今天下单今天发货哦～';
const MARKER = 'kefu-e2e-no-reload';

declare global {
  interface Window {
    __marker?: string;
    __kefuSeenAt?: number;
  }
}

test.beforeAll(() => {
  env('KEFU_E2E_URL');
});

async function loginAsAgent(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-username').fill(env('KEFU_E2E_USERNAME'));
  await page.getByTestId('login-password').fill(env('KEFU_E2E_PASSWORD'));
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/workspace$/);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'open');
  return page;
}

async function openWidget(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(env('KEFU_E2E_WIDGET_PATH'));
  await expect(page.getByTestId('widget-status')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('widget-input')).toBeEnabled();
  return page;
}

/** Sends a widget message and returns the conversation id from the API response. */
async function shopperSends(widget: Page, text: string): Promise<string> {
  await widget.getByTestId('widget-input').fill(text);
  const response = widget.waitForResponse(
    (r) => r.url().includes('/api/v1/widget/messages') && r.request().method() === 'POST',
  );
  await widget.getByTestId('widget-send').click();
  const res = await response;
  expect(res.status()).toBe(201);
  const body = (await res.json()) as { conversation_id: string };
  expect(body.conversation_id).toBeTruthy();
  return body.conversation_id;
}

test('shopper and agent chat live without reloading', async ({ browser }) => {
  // Page A: the agent signs in and waits on the workspace.
  const agent = await loginAsAgent(browser);
  await agent.evaluate((m) => {
    window.__marker = m;
  }, MARKER);

  // Page B: the shopper opens the widget in a separate browser context.
  const shopper = await openWidget(browser);
  await shopper.evaluate((m) => {
    window.__marker = m;
  }, MARKER);

  // Record in page A the moment the new message (or a new conversation) shows up.
  await agent.evaluate((text) => {
    const count = (): number => (document.body.textContent ?? '').split(text).length - 1;
    const ids = (): Set<string> =>
      new Set(
        Array.from(document.querySelectorAll('[data-testid="conversation-item"]')).map(
          (el) => el.getAttribute('data-conversation-id') ?? '',
        ),
      );
    const initialCount = count();
    const initialIds = ids();
    const check = (): boolean => {
      const grew = count() > initialCount;
      const added = [...ids()].some((id) => !initialIds.has(id));
      if (grew || added) {
        window.__kefuSeenAt = Date.now();
        return true;
      }
      return false;
    };
    const observer = new MutationObserver(() => {
      if (check()) observer.disconnect();
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  }, SHOPPER_TEXT);

  await shopper.getByTestId('widget-input').fill(SHOPPER_TEXT);
  const sendResponse = shopper.waitForResponse(
    (r) => r.url().includes('/api/v1/widget/messages') && r.request().method() === 'POST',
  );
  const clickedAt = Date.now();
  await shopper.getByTestId('widget-send').click();
  const res = await sendResponse;
  expect(res.status()).toBe(201);
  const { conversation_id: conversationId } = (await res.json()) as { conversation_id: string };
  expect(conversationId).toBeTruthy();

  // The shopper sees their own message.
  await expect(
    shopper.getByTestId('widget-message').filter({ hasText: SHOPPER_TEXT }).first(),
  ).toBeVisible();

  // Page A shows the conversation live.
  const item = agent.locator(
    `[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`,
  );
  await expect(item).toBeVisible();
  await agent.waitForFunction(() => typeof window.__kefuSeenAt === 'number');
  const seenAt = await agent.evaluate(() => window.__kefuSeenAt ?? 0);
  console.log(`widget send click → agent page shows the message: ${seenAt - clickedAt} ms`);

  // Open it: the message is in the chat pane, the customer panel is filled.
  await item.click();
  await expect(
    agent.locator('[data-testid="message"][data-sender="shopper"]').filter({ hasText: SHOPPER_TEXT }).first(),
  ).toBeVisible();
  const panel = agent.getByTestId('customer-panel');
  await expect(panel.getByTestId('customer-nickname')).not.toBeEmpty();
  await expect(panel.getByTestId('order-item').first()).toBeVisible();
  expect(await panel.getByTestId('order-item').count()).toBeGreaterThanOrEqual(1);

  // The agent replies with Enter; the shopper sees it live.
  const reply = agent.getByTestId('reply-input');
  await reply.fill(AGENT_TEXT);
  await expect(agent.getByTestId('reply-counter')).toHaveText(`${[...AGENT_TEXT].length}/2000`);
  await reply.press('Enter');
  await expect(
    agent.locator('[data-testid="message"][data-sender="agent"]').filter({ hasText: AGENT_TEXT }).first(),
  ).toBeVisible();
  await expect(reply).toHaveValue('');
  await expect(
    shopper.locator('[data-testid="widget-message"][data-sender="agent"]').filter({ hasText: AGENT_TEXT }).first(),
  ).toBeVisible();

  // Neither page ever reloaded.
  expect(await agent.evaluate(() => window.__marker)).toBe(MARKER);
  expect(await shopper.evaluate(() => window.__marker)).toBe(MARKER);

  await agent.context().close();
  await shopper.context().close();
});

test('language toggle switches the login page to English and is remembered', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  const submit = page.getByTestId('login-submit');
  await expect(submit).toHaveText('登录');

  await page.getByTestId('lang-toggle').click();
  await expect(submit).toHaveText('Sign in');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  await page.reload();
  await expect(page.getByTestId('login-submit')).toHaveText('Sign in');

  await page.getByTestId('lang-toggle').click();
  await expect(page.getByTestId('login-submit')).toHaveText('登录');

  // A wrong password shows the translated API error.
  await page.getByTestId('login-username').fill(env('KEFU_E2E_USERNAME'));
  await page.getByTestId('login-password').fill(`${env('KEFU_E2E_PASSWORD')}-wrong`);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toHaveText('账号或密码错误');
  await context.close();
});

test('a reply over 2000 characters is blocked with a translated error', async ({ browser }) => {
  const shopper = await openWidget(browser);
  const conversationId = await shopperSends(shopper, '请问有优惠券吗？');

  const agent = await loginAsAgent(browser);
  const item = agent.locator(
    `[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`,
  );
  await item.click();
  await expect(agent.getByTestId('customer-panel').getByTestId('customer-nickname')).not.toBeEmpty();

  let replyPosts = 0;
  agent.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/v1\/conversations\/[^/]+\/messages$/.test(r.url())) {
      replyPosts += 1;
    }
  });

  const reply = agent.getByTestId('reply-input');
  await reply.fill('好'.repeat(2001));
  await expect(agent.getByTestId('reply-counter')).toHaveText('2001/2000');
  await expect(agent.getByTestId('reply-error')).toHaveText('消息过长，最多 2000 字');
  await expect(agent.getByTestId('reply-send')).toBeDisabled();
  await reply.press('Enter');

  await agent.getByTestId('lang-toggle').click();
  await expect(agent.getByTestId('reply-error')).toHaveText(
    'Message is too long (2000 characters at most)',
  );
  await agent.getByTestId('lang-toggle').click();

  // Back within the limit: the error disappears and sending is possible again.
  await reply.fill('好'.repeat(2000));
  await expect(agent.getByTestId('reply-error')).toHaveCount(0);
  await expect(agent.getByTestId('reply-send')).toBeEnabled();
  expect(replyPosts).toBe(0);

  await agent.context().close();
  await shopper.context().close();
});
