import { test, expect, type Browser, type Page } from '@playwright/test';

/**
 * Supervisor alerts against a running `kefu demo` server: the supervisor opens the 告警 page; a
 * shopper threatens 12315 and complains in the widget; the alert appears live (no reload), red,
 * delivered to the watching dashboard, with the badge in the top bar; the supervisor
 * acknowledges it with a note and resolves it, and it leaves the open list. Environment as for
 * chat.spec.ts.
 */

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required for the e2e tests`);
  return value;
}

const SUPERVISOR = 'zhaozhuguan';
const TIMEZONE = 'Asia/Shanghai';

function shopSlug(): string {
  return new URL(env('KEFU_E2E_WIDGET_PATH'), 'http://localhost').searchParams.get('shop') ?? '';
}

async function signIn(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext({ timezoneId: TIMEZONE });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-shop').fill(shopSlug());
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(env('KEFU_E2E_PASSWORD'));
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/workspace$/);
  return page;
}

async function openWidget(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ timezoneId: TIMEZONE });
  const page = await context.newPage();
  await page.goto(`/widget?shop=${encodeURIComponent(shopSlug())}`);
  await expect(page.getByTestId('widget-status')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('widget-input')).toBeEnabled();
  return page;
}

async function shopperSends(widget: Page, text: string): Promise<string> {
  await widget.getByTestId('widget-input').fill(text);
  const response = widget.waitForResponse(
    (r) => r.url().includes('/api/v1/widget/messages') && r.request().method() === 'POST',
  );
  await widget.getByTestId('widget-send').click();
  const res = await response;
  expect(res.status()).toBe(201);
  return ((await res.json()) as { conversation_id: string }).conversation_id;
}

test('a supervisor sees a 12315 alert appear live, acknowledges and resolves it', async ({
  browser,
}) => {
  const boss = await signIn(browser, SUPERVISOR);
  await boss.getByTestId('nav-alerts').click();
  await expect(boss).toHaveURL(/\/alerts$/);
  await expect(boss.getByTestId('alert-settings')).toBeVisible();
  // The page's live socket is up before the shopper writes.
  await expect(boss.getByTestId('alert-total')).toBeVisible();
  await boss.waitForTimeout(500);

  const shopper = await openWidget(browser);
  const conversation = await shopperSends(shopper, '再不给我退款我就打12315投诉你们！');

  const row = boss.locator(`[data-testid="alert-row"][data-conversation-id="${conversation}"]`);
  await expect(row).toHaveCount(1, { timeout: 10_000 });
  await expect(row).toHaveAttribute('data-kind', 'risk_words');
  await expect(row).toHaveAttribute('data-severity', 'red');
  await expect(row).toHaveAttribute('data-state', 'delivered');
  await expect(row.getByTestId('alert-title')).toContainText('12315');
  await expect(boss.getByTestId('alert-badge')).toBeVisible();

  await row.getByTestId('alert-note').fill('我来联系顾客');
  await row.getByTestId('alert-ack').click();
  await expect(row).toHaveAttribute('data-state', 'acknowledged');
  await expect(row.getByTestId('alert-state')).toHaveText('已确认');

  await row.getByTestId('alert-note').fill('已退款，顾客满意');
  await row.getByTestId('alert-resolve').click();
  await expect(row).toHaveCount(0);

  // The alert and its notes are in the history.
  const token = await boss.evaluate(() => {
    const raw = localStorage.getItem('kefu.agent.session');
    return raw ? (JSON.parse(raw) as { token: string }).token : '';
  });
  const all = await boss.request.get('/api/v1/alerts?state=all', {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(all.status()).toBe(200);
  const body = (await all.json()) as { alerts: { id: string; conversation_id: string | null; state: string }[] };
  const mine = body.alerts.find((a) => a.conversation_id === conversation && a.state === 'resolved');
  expect(mine).toBeTruthy();
  const detail = await boss.request.get(`/api/v1/alerts/${mine!.id}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const history = ((await detail.json()) as { history: { change: string; note: string }[] }).history;
  expect(history.map((h) => h.change)).toEqual(
    expect.arrayContaining(['raised', 'delivered', 'acknowledged', 'resolved']),
  );
  expect(history.find((h) => h.change === 'resolved')?.note).toBe('已退款，顾客满意');

  await shopper.context().close();
  await boss.context().close();
});
