import { test, expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';

/**
 * Routing, SLA clocks and offline messages against a running `kefu demo` server: an agent goes
 * online with the top bar's switch and is given a shopper who asks for a person, with the
 * first-response countdown running; she transfers it to the experts with a reason; the
 * supervisor's 队列 page shows it waiting and the shopper sees her place; the supervisor puts an
 * expert online and the conversation leaves the queue. Outside service hours a hand-off becomes
 * an offline message (留言), on the widget and in the 队列 page's list. Environment as for
 * chat.spec.ts.
 *
 * The demo may start with agents online and conversations waiting (its history, and the specs
 * that ran before): each test sets the agents' statuses it needs, empties the queues and sets
 * the service rules it depends on through the API, and puts statuses and rules back at the end.
 */

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required for the e2e tests`);
  return value;
}

const SUPERVISOR = 'zhaozhuguan';
const EXPERT = 'wangjie';
/** Shop time is UTC+8; the pages show local time, so the browser lives there too. */
const TIMEZONE = 'Asia/Shanghai';

type Status = 'online' | 'busy' | 'away' | 'offline';

interface DeskAgent {
  agent: { id: string; username: string; max_concurrent: number };
  status: Status;
  active: number;
}

interface Desk {
  agents: DeskAgent[];
  queues: { tier: string; waiting: { conversation_id: string }[] }[];
  offline: { conversation_id: string }[];
}

interface ServiceSettings {
  silence_limit_s: number;
  hours: { shifts: { days: number[]; from: string; to: string }[]; holidays: string[]; offline_due: string };
  [key: string]: unknown;
}

test.beforeAll(() => {
  env('KEFU_E2E_URL');
});

function shopSlug(): string {
  return new URL(env('KEFU_E2E_WIDGET_PATH'), 'http://localhost').searchParams.get('shop') ?? '';
}

/** The widget of an anonymous visitor (a fresh one per browser context). */
function visitorWidgetPath(): string {
  return `/widget?shop=${encodeURIComponent(shopSlug())}`;
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
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'open');
  return page;
}

async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('kefu.agent.session');
    return raw ? (JSON.parse(raw) as { token: string }).token : '';
  });
}

/** The supervisor's API calls, for arranging the desk around the test. */
function supervisorApi(request: APIRequestContext, token: string) {
  const headers = { Authorization: `Bearer ${token}` };
  return {
    async desk(): Promise<Desk> {
      const res = await request.get('/api/v1/desk', { headers });
      expect(res.status()).toBe(200);
      return (await res.json()) as Desk;
    },
    async setStatus(agentId: string, status: Status): Promise<void> {
      const res = await request.post(`/api/v1/desk/agents/${agentId}/status`, {
        headers,
        data: { status },
      });
      expect(res.status()).toBe(200);
    },
    async close(conversationId: string): Promise<void> {
      const res = await request.post(`/api/v1/conversations/${conversationId}/close`, { headers });
      // Already closed by then is fine.
      expect([200, 409]).toContain(res.status());
    },
    async settings(): Promise<ServiceSettings> {
      const res = await request.get('/api/v1/settings/service', { headers });
      expect(res.status()).toBe(200);
      return (await res.json()) as ServiceSettings;
    },
    async putSettings(settings: ServiceSettings): Promise<void> {
      const res = await request.put('/api/v1/settings/service', { headers, data: settings });
      expect(res.status()).toBe(200);
    },
  };
}

type SupervisorApi = ReturnType<typeof supervisorApi>;

/**
 * Everyone offline except `keep` (left as they are until the test sets them), and nobody
 * waiting: the conversations the demo and earlier specs left in the queues are closed, so the
 * test's shopper is next. Returns the statuses to put back.
 */
async function arrangeDesk(api: SupervisorApi): Promise<Map<string, Status>> {
  const desk = await api.desk();
  const before = new Map(desk.agents.map((a) => [a.agent.id, a.status]));
  for (const a of desk.agents) {
    // Setting an offline agent offline again would send back what they hold: leave them be.
    if (a.status !== 'offline') await api.setStatus(a.agent.id, 'offline');
  }
  const after = await api.desk();
  for (const q of after.queues) {
    for (const w of q.waiting) await api.close(w.conversation_id);
  }
  return before;
}

async function restoreDesk(api: SupervisorApi, before: Map<string, Status>): Promise<void> {
  const desk = await api.desk();
  for (const a of desk.agents) {
    const wanted = before.get(a.agent.id) ?? 'offline';
    if (a.status !== wanted) await api.setStatus(a.agent.id, wanted);
  }
}

/** Sends a widget message; the API's answer. */
async function shopperSends(
  widget: Page,
  text: string,
): Promise<{ conversation_id: string; reply_action: string | null; reply?: { text: string } | null }> {
  await widget.getByTestId('widget-input').fill(text);
  const response = widget.waitForResponse(
    (r) => r.url().includes('/api/v1/widget/messages') && r.request().method() === 'POST',
  );
  await widget.getByTestId('widget-send').click();
  const res = await response;
  expect(res.status()).toBe(201);
  return (await res.json()) as {
    conversation_id: string;
    reply_action: string | null;
    reply?: { text: string } | null;
  };
}

async function openWidget(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ timezoneId: TIMEZONE });
  const page = await context.newPage();
  await page.goto(visitorWidgetPath());
  await expect(page.getByTestId('widget-status')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('widget-input')).toBeEnabled();
  return page;
}

/** Today's date in shop time (UTC+8), `YYYY-MM-DD`. */
function shopToday(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
}

test('an agent goes online and gets a shopper with a countdown, transfers to the experts, and the queue page follows', async ({
  browser,
  request,
}) => {
  const supervisor = await signIn(browser, SUPERVISOR);
  const api = supervisorApi(request, await tokenOf(supervisor));

  // Staffed around the clock (a run at night would leave offline messages instead), and a long
  // silence limit so the agent does not lose the shopper while the test looks around.
  const rules = await api.settings();
  await api.putSettings({
    ...rules,
    silence_limit_s: 600,
    hours: { ...rules.hours, holidays: [], shifts: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }] },
  });
  const before = await arrangeDesk(api);
  const expertBefore = (await api.desk()).agents.find((a) => a.agent.username === EXPERT);
  let conversationId = '';
  try {
    // The agent goes online with the switch in the top bar.
    const agent = await signIn(browser, env('KEFU_E2E_USERNAME'));
    const toggle = agent.getByTestId('status-switch');
    await expect(toggle).toBeEnabled();
    await expect(toggle).toHaveValue('offline');
    const set = agent.waitForResponse((r) => r.url().endsWith('/api/v1/desk/status'));
    await toggle.selectOption('online');
    expect((await set).status()).toBe(200);
    await expect(agent.getByTestId('status-switch-box')).toHaveAttribute('data-status', 'online');

    // The supervisor's 队列 page sees her online.
    await supervisor.getByTestId('nav-desk').click();
    await expect(supervisor).toHaveURL(/\/desk$/);
    const agentRow = supervisor.locator(
      `[data-testid="desk-agent"][data-username="${env('KEFU_E2E_USERNAME')}"]`,
    );
    await expect(agentRow).toHaveAttribute('data-status', 'online');

    // A shopper asks for a person: the conversation goes straight to her, the clock running.
    const shopper = await openWidget(browser);
    const sent = await shopperSends(shopper, '转人工');
    expect(sent.reply_action).toBe('hand_off');
    conversationId = sent.conversation_id;
    const item = agent.locator(
      `[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`,
    );
    await expect(item).toBeVisible();
    await expect(item.getByTestId('state-badge')).toHaveText('接待中');
    const countdown = item.getByTestId('sla-countdown');
    await expect(countdown).toHaveAttribute('data-clock', 'first_response');
    await expect(countdown).toHaveText(/\d\d:\d\d|已超时/);
    // Nobody waits: the widget shows no place in a queue.
    await expect(shopper.getByTestId('widget-queue')).toHaveCount(0);

    await item.click();
    await expect(agent.getByTestId('chat-state')).toHaveText('接待中');
    const headerClock = agent.getByTestId('chat-header').getByTestId('sla-countdown');
    await expect(headerClock).toBeVisible();
    // The 15-second first response runs out: yellow in its last fifth, then red 已超时.
    await expect(headerClock).toHaveAttribute('data-tone', 'breach', { timeout: 25_000 });
    await expect(headerClock).toHaveText(/已超时/);

    // 转接: an offline agent cannot be chosen.
    await agent.getByTestId('transfer-open').click();
    const dialog = agent.getByTestId('transfer-dialog');
    await expect(dialog).toBeVisible();
    const expertOption = dialog.locator(`[data-testid="transfer-agent"][data-username="${EXPERT}"]`);
    await expect(expertOption).toHaveAttribute('data-status', 'offline');
    await expect(expertOption.locator('input')).toBeDisabled();
    await dialog.getByRole('button', { name: '取消' }).click();
    await expect(dialog).toBeHidden();

    // The expert comes online and is chosen, but leaves before the transfer is sent: the 409
    // is explained in the dialog.
    const expertId = expertBefore?.agent.id ?? '';
    await api.setStatus(expertId, 'online');
    await agent.getByTestId('transfer-open').click();
    await expect(expertOption).toHaveAttribute('data-status', 'online');
    await expertOption.locator('input').check();
    await dialog.getByTestId('transfer-quick-customer').click();
    await expect(dialog.getByTestId('transfer-reason')).toHaveValue('客户要求');
    await api.setStatus(expertId, 'offline');
    await dialog.getByTestId('transfer-submit').click();
    const refused = dialog.getByTestId('transfer-error');
    await expect(refused).toHaveAttribute('data-code', 'conflict');
    await expect(refused).toContainText('对方已离线');

    // To the expert queue instead, with a quick-pick reason.
    await dialog.getByTestId('transfer-mode-queue').click();
    await expect(refused).toBeHidden();
    await dialog.getByTestId('transfer-tier').selectOption('expert');
    // A reason is required.
    await dialog.getByTestId('transfer-reason').fill('  ');
    await expect(dialog.getByTestId('transfer-submit')).toBeDisabled();
    await dialog.getByTestId('transfer-quick-expert').click();
    await expect(dialog.getByTestId('transfer-reason')).toHaveValue('需要专家处理');
    const moved = agent.waitForResponse((r) => r.url().endsWith(`/conversations/${conversationId}/transfer`));
    await dialog.getByTestId('transfer-submit').click();
    expect((await moved).status()).toBe(200);
    await expect(dialog).toBeHidden();
    await expect(agent.getByTestId('transferred')).toContainText('专家');
    await expect(agent.getByTestId('chat-state')).toHaveText('排队中');
    // No longer hers to transfer.
    await expect(agent.getByTestId('transfer-open')).toBeDisabled();

    // The 队列 page shows it waiting for the experts, its waiting time counting up.
    const waiting = supervisor.locator(
      `[data-testid="desk-queue"][data-tier="expert"] [data-testid="desk-waiting"][data-conversation-id="${conversationId}"]`,
    );
    await expect(waiting).toBeVisible();
    await expect(waiting.getByTestId('desk-priority')).toHaveText('普通');
    const waited = waiting.getByTestId('desk-waited');
    await expect(waited).toHaveText(/已等待 \d\d:\d\d/);
    const first = await waited.innerText();
    await expect(waited).not.toHaveText(first, { timeout: 5_000 });
    await expect(supervisor.getByTestId('desk-today-transferred')).toHaveText(/[1-9]\d* 次转接/);

    // The shopper sees her place: next, but nobody on the expert team is online.
    const place = shopper.getByTestId('widget-queue');
    await expect(place).toHaveAttribute('data-kind', 'nobody');
    await expect(place).toHaveAttribute('data-position', '0');
    await expect(place).toHaveText('暂无客服在线，请稍候');

    // The supervisor puts an expert online from the 队列 page: the conversation is his.
    const expertRow = supervisor.locator(`[data-testid="desk-agent"][data-username="${EXPERT}"]`);
    await expertRow.getByTestId('desk-agent-status').selectOption('online');
    await expect(expertRow).toHaveAttribute('data-status', 'online');
    await expect(waiting).toHaveCount(0);
    await expect(expertRow).toHaveAttribute('data-active', String((expertBefore?.active ?? 0) + 1));
    await expect(agent.getByTestId('chat-state')).toHaveText('接待中');
    // The widget notices it left the queue (it re-reads its place while waiting).
    await expect(place).toHaveCount(0, { timeout: 20_000 });

    // Someone set the agent's status elsewhere: her switch follows the agent.status frame.
    await agentRow.getByTestId('desk-agent-status').selectOption('away');
    await expect(agent.getByTestId('status-switch')).toHaveValue('away');
    await expect(agent.getByTestId('status-switch-box')).toHaveAttribute('data-status', 'away');

    await agent.context().close();
    await shopper.context().close();
  } finally {
    if (conversationId) await api.close(conversationId);
    await restoreDesk(api, before);
    await api.putSettings(rules);
    await supervisor.context().close();
  }
});

test('outside service hours a hand-off is an offline message, on the widget and in the 留言 list', async ({
  browser,
  request,
}) => {
  const supervisor = await signIn(browser, SUPERVISOR);
  const api = supervisorApi(request, await tokenOf(supervisor));

  // Today is a holiday: nobody is on duty, so asking for a person leaves a message.
  const rules = await api.settings();
  await api.putSettings({ ...rules, hours: { ...rules.hours, holidays: [shopToday()] } });
  const before = await arrangeDesk(api);
  let conversationId = '';
  try {
    const shopper = await openWidget(browser);
    const sent = await shopperSends(shopper, '转人工');
    expect(sent.reply_action).toBe('hand_off');
    conversationId = sent.conversation_id;
    expect(sent.reply?.text).toMatch(/不是人工客服的服务时间.*客服会在 \d{4}-\d\d-\d\d \d\d:\d\d 前回复您/);

    const place = shopper.getByTestId('widget-queue');
    await expect(place).toHaveAttribute('data-kind', 'offline');
    await expect(place).toHaveText(/^已转为留言，客服会在 .+ \d\d:\d\d 前回复$/);

    // The 队列 page lists it among the offline messages, not overdue, nobody on it yet.
    await supervisor.getByTestId('nav-desk').click();
    const row = supervisor.locator(
      `[data-testid="desk-offline-row"][data-conversation-id="${conversationId}"]`,
    );
    await expect(row).toBeVisible();
    await expect(row).toHaveAttribute('data-overdue', 'false');
    await expect(row).toContainText('未分配');

    // Clicking it opens the conversation in the workspace, its countdown aimed at the due time.
    await row.click();
    await expect(supervisor).toHaveURL(new RegExp(`/workspace\\?c=${conversationId}$`));
    await expect(supervisor.getByTestId('chat-state')).toHaveText('排队中');
    const clock = supervisor.getByTestId('chat-header').getByTestId('sla-countdown');
    await expect(clock).toHaveAttribute('data-clock', 'offline_reply');
    await expect(clock).toHaveText(/\d\d:\d\d 前/);

    await shopper.context().close();
  } finally {
    if (conversationId) await api.close(conversationId);
    await restoreDesk(api, before);
    await api.putSettings(rules);
    await supervisor.context().close();
  }
});
