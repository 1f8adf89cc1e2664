import { test, expect, type Page } from '@playwright/test';
import { env, openConversation, signIn, token, visitorWrites } from './support';

/**
 * Tickets (工单) against a running `kefu demo` server: an agent opens one from a chat (创建工单)
 * and owns it because she took the chat first (首问负责); a department works on it with a due
 * time; she closes it only after ticking 已与顾客确认, and it is reopened (counted). A second
 * ticket about the same order is marked 二次投诉, and the dialog is prefilled with the shopper's
 * latest order. Environment as for chat.spec.ts.
 */

/** A suffix that keeps this run's tickets apart from any earlier run against the same server. */
const RUN = Math.random().toString(36).slice(2, 7);

test.beforeAll(() => {
  env('KEFU_E2E_URL');
});

async function createFromChat(page: Page, title: string): Promise<void> {
  await page.getByTestId('create-ticket').click();
  const dialog = page.getByTestId('ticket-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('ticket-dialog-kind').selectOption('lost_parcel');
  await dialog.getByTestId('ticket-dialog-title').fill(title);
  await dialog.getByTestId('ticket-dialog-description').fill('顾客说物流三天没有更新');
  const created = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/tickets') && r.request().method() === 'POST',
  );
  await dialog.getByTestId('ticket-dialog-submit').click();
  expect((await created).status()).toBe(201);
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('ticket-created')).toBeVisible();
}

test('an agent opens a ticket from a chat, a department works it, she closes it after confirming, and it is reopened', async ({
  browser,
  request,
}) => {
  const agent = await signIn(browser, env('KEFU_E2E_USERNAME'));
  const me = (await agent.getByTestId('agent-name').innerText()).trim();

  // A visitor writes and this agent answers first: the case is hers (首问负责).
  const conversation = await visitorWrites(request, `我的快递丢了，单号查不到${RUN}`);
  const reply = await request.post(`/api/v1/conversations/${conversation}/messages`, {
    headers: { Authorization: `Bearer ${await token(agent)}` },
    data: { text: '亲，我马上帮您核实' },
  });
  expect(reply.status()).toBe(201);
  await openConversation(agent, conversation);

  const title = `快递丢件核实${RUN}`;
  await createFromChat(agent, title);
  await agent.getByTestId('ticket-created').getByRole('link').click();
  await expect(agent).toHaveURL(/\/tickets\?id=/);
  const detail = agent.getByTestId('ticket-detail');
  await expect(detail).toContainText(title);
  await expect(agent.getByTestId('ticket-detail-status')).toHaveText('待处理');
  const owner = (await agent.getByTestId('ticket-owner').innerText()).trim();
  expect(me).toContain(owner);
  const row = agent.getByTestId('ticket-row').filter({ hasText: title });
  await expect(row).toBeVisible();
  await expect(agent.getByTestId('nav-tickets')).toHaveClass(/active/);

  // To the warehouse, with the default due time (a day from now).
  await agent.getByTestId('ticket-assign').click();
  await agent.getByTestId('ticket-assign-department').selectOption('warehouse');
  await agent.getByTestId('ticket-assign-submit').click();
  await expect(agent.getByTestId('ticket-department')).toHaveText('仓库');
  await expect(agent.getByTestId('ticket-detail-status')).toHaveText('处理中');
  await expect(row.getByTestId('ticket-status')).toHaveText('处理中');

  await agent.getByTestId('ticket-note').click();
  await agent.getByTestId('ticket-note-text').fill('已联系仓库查监控');
  await agent.getByTestId('ticket-note-submit').click();
  await expect(
    agent.locator('[data-testid="ticket-change"][data-change="note"]').filter({ hasText: '已联系仓库查监控' }),
  ).toBeVisible();

  await agent.getByTestId('ticket-resolve').click();
  await expect(agent.getByTestId('ticket-detail-status')).toHaveText('待确认');

  // Closing needs 已与顾客确认.
  await agent.getByTestId('ticket-close').click();
  const closeSubmit = agent.getByTestId('ticket-close-submit');
  await expect(closeSubmit).toBeDisabled();
  await agent.getByTestId('ticket-close-confirmed').check();
  await agent.getByTestId('ticket-close-note').fill('顾客确认已补发');
  await closeSubmit.click();
  await expect(agent.getByTestId('ticket-detail-status')).toHaveText('已关闭');
  // Closed tickets leave the default list.
  await expect(row).toBeHidden();
  await agent.getByTestId('ticket-filter-status').selectOption('all');
  await expect(row).toBeVisible();

  // The shopper comes back: reopened, counted.
  await agent.getByTestId('ticket-reopen').click();
  await agent.getByTestId('ticket-reopen-reason').fill('顾客说补发的也没收到');
  await agent.getByTestId('ticket-reopen-submit').click();
  await expect(agent.getByTestId('ticket-detail-status')).toHaveText('待处理');
  await expect(agent.getByTestId('ticket-detail-reopened')).toHaveText('重开 1 次');
  await expect(row.getByTestId('ticket-reopened')).toBeVisible();
  const kinds = await agent
    .locator('[data-testid="ticket-change"]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-change')));
  expect(kinds).toEqual(['created', 'department_assigned', 'note', 'resolved', 'closed', 'reopened']);

  // Filters: mine keeps it, overdue does not.
  await agent.getByTestId('ticket-filter-mine').check();
  await expect(row).toBeVisible();
  await agent.getByTestId('ticket-filter-overdue').check();
  await expect(row).toBeHidden();
});

test('the dialog is prefilled with the latest order, and a second ticket on it is a repeat complaint', async ({
  browser,
}) => {
  const agent = await signIn(browser, env('KEFU_E2E_USERNAME'));

  // The demo's showcase shopper, who has orders, writes from the widget.
  const widgetContext = await browser.newContext();
  const widget = await widgetContext.newPage();
  await widget.goto(env('KEFU_E2E_WIDGET_PATH'));
  await expect(widget.getByTestId('widget-input')).toBeEnabled();
  await widget.getByTestId('widget-input').fill(`收到的奶瓶有裂缝${RUN}`);
  const sent = widget.waitForResponse(
    (r) => r.url().includes('/api/v1/widget/messages') && r.request().method() === 'POST',
  );
  await widget.getByTestId('widget-send').click();
  const { conversation_id: conversation } = (await (await sent).json()) as { conversation_id: string };
  await openConversation(agent, conversation);

  const latest = agent.getByTestId('order-item').first();
  await expect(latest).toBeVisible();
  const orderNo = await latest.getAttribute('data-order-no');
  expect(orderNo).toBeTruthy();

  await agent.getByTestId('create-ticket').click();
  await expect(agent.getByTestId('ticket-dialog-order')).toHaveValue(orderNo ?? '');
  await agent.getByTestId('ticket-dialog-title').fill(' ');
  await expect(agent.getByTestId('ticket-dialog-submit')).toBeDisabled();
  await agent.getByRole('button', { name: '取消' }).click();
  await expect(agent.getByTestId('ticket-dialog')).toBeHidden();

  const first = `奶瓶裂缝${RUN}`;
  const second = `奶瓶裂缝再次投诉${RUN}`;
  await createFromChat(agent, first);
  await createFromChat(agent, second);

  await agent.getByTestId('nav-tickets').click();
  await expect(agent).toHaveURL(/\/tickets/);
  const secondRow = agent.getByTestId('ticket-row').filter({ hasText: second });
  await expect(secondRow).toBeVisible();
  await expect(secondRow.getByTestId('ticket-repeat')).toHaveText('二次投诉');
  await secondRow.click();
  await expect(agent.getByTestId('ticket-order-no')).toHaveText(orderNo ?? '');
  await expect(agent.getByTestId('ticket-detail-repeat')).toContainText('重复投诉自 #');
});
