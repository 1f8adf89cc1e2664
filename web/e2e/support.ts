import { expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';

/** Helpers the e2e specs share. Environment as for chat.spec.ts. */

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required for the e2e tests`);
  return value;
}

export function shopSlug(): string {
  return new URL(env('KEFU_E2E_WIDGET_PATH'), 'http://localhost').searchParams.get('shop') ?? '';
}

export async function signIn(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-shop').fill(shopSlug());
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(env('KEFU_E2E_PASSWORD'));
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/workspace$/);
  return page;
}

export async function token(page: Page): Promise<string> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('kefu.agent.session');
    return raw ? (JSON.parse(raw) as { token: string }).token : '';
  });
}

/** A fresh visitor writes once; the conversation's id. */
export async function visitorWrites(request: APIRequestContext, text: string): Promise<string> {
  const session = await request.post('/api/v1/widget/sessions', { data: { shop: shopSlug() } });
  expect(session.status()).toBe(200);
  const { token: visitor } = (await session.json()) as { token: string };
  const sent = await request.post('/api/v1/widget/messages', {
    headers: { Authorization: `Bearer ${visitor}` },
    data: { text },
  });
  expect(sent.status()).toBe(201);
  return ((await sent.json()) as { conversation_id: string }).conversation_id;
}

/** Opens a conversation in the workspace (reloading until the list shows it). */
export async function openConversation(page: Page, id: string): Promise<void> {
  const item = page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`);
  await expect(async () => {
    if (!(await item.isVisible())) await page.reload();
    await expect(item).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
  await item.click();
  await expect(page.getByTestId('chat-state')).toBeVisible();
}
