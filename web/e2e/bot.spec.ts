import { test, expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';

/**
 * The bot in front of the agents, against a running `kefu demo` server: a shopper is answered
 * and rates the answer, asks for a person, and the agent takes over with the hand-off summary
 * and suggested answers; unanswered questions become proposals a supervisor approves or
 * dismisses; the least useful entries are retired. Environment as for chat.spec.ts; the
 * shoppers here are anonymous visitors of the same shop (a fresh one per browser context), so
 * each conversation starts with the bot whatever earlier tests did.
 */

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required for the e2e tests`);
  return value;
}

const SUPERVISOR = 'zhaozhuguan';
/** A similar question of kb-006 (下单后多久发货), which the bot answers. */
const STANDARD_QUESTION = '付款后多长时间发货呀';
const STANDARD_ENTRY = '下单后多久发货';
/** kb-007, whose answer quotes the shopper's order: a visitor has none, so it stays incomplete. */
const ORDER_QUESTION = '我的订单发货了吗';
/** kb-009, answered without variables. */
const STOCK_QUESTION = '有现货吗';
/** A suffix that keeps this run's unanswered questions apart from earlier runs on the same server. */
const RUN = Math.random().toString(36).slice(2, 7);
const CAT_FOOD = [`你们卖猫粮吗${RUN}`, `店里有猫粮卖吗${RUN}`, `有没有卖猫粮${RUN}`];
const PART_TIME = `你们招聘兼职吗${RUN}`;

interface SendBody {
  conversation_id: string;
  message: { id: string };
  reply: { id: string; sender: string; text: string } | null;
  reply_action: 'answer' | 'clarify' | 'hand_off' | null;
}

test.beforeAll(() => {
  env('KEFU_E2E_URL');
});

/** The widget of an anonymous visitor of the e2e shop (`/widget?shop=…`). */
function visitorWidgetPath(): string {
  const shop = new URL(env('KEFU_E2E_WIDGET_PATH'), 'http://localhost').searchParams.get('shop');
  if (!shop) throw new Error('KEFU_E2E_WIDGET_PATH has no shop parameter');
  return `/widget?shop=${encodeURIComponent(shop)}`;
}

function shopSlug(): string {
  return new URL(env('KEFU_E2E_WIDGET_PATH'), 'http://localhost').searchParams.get('shop') ?? '';
}

async function signIn(browser: Browser, username: string): Promise<Page> {
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

async function openKnowledge(browser: Browser, username: string): Promise<Page> {
  const page = await signIn(browser, username);
  await page.getByTestId('kb-nav').click();
  await expect(page).toHaveURL(/\/knowledge$/);
  await expect(page.getByTestId('kb-row').first()).toBeVisible();
  return page;
}

async function token(page: Page): Promise<string> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('kefu.agent.session');
    return raw ? (JSON.parse(raw) as { token: string }).token : '';
  });
}

/** Sends from the widget and returns the API's answer (the message and the bot's reply). */
async function shopperSends(widget: Page, text: string): Promise<SendBody> {
  await widget.getByTestId('widget-input').fill(text);
  const response = widget.waitForResponse(
    (r) => r.url().endsWith('/api/v1/widget/messages') && r.request().method() === 'POST',
  );
  await widget.getByTestId('widget-send').click();
  const res = await response;
  expect(res.status()).toBe(201);
  return (await res.json()) as SendBody;
}

/** A shopper who only talks through the API: a fresh visitor asking one question. */
async function visitorAsks(request: APIRequestContext, text: string): Promise<SendBody> {
  const session = await request.post('/api/v1/widget/sessions', { data: { shop: shopSlug() } });
  expect(session.status()).toBe(200);
  const { token: visitor } = (await session.json()) as { token: string };
  const sent = await request.post('/api/v1/widget/messages', {
    headers: { Authorization: `Bearer ${visitor}` },
    data: { text },
  });
  expect(sent.status()).toBe(201);
  return (await sent.json()) as SendBody;
}

test('the bot answers and is rated, hands off on request, and the agent takes over with suggestions', async ({
  browser,
}) => {
  const shopperContext = await browser.newContext();
  const shopper = await shopperContext.newPage();
  // Every frame the widget's live socket receives, to know when the bot's reply came that way too.
  const frames: string[] = [];
  shopper.on('websocket', (ws) => {
    ws.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string') frames.push(frame.payload);
    });
  });
  await shopper.goto(visitorWidgetPath());
  await expect(shopper.getByTestId('widget-status')).toHaveAttribute('data-state', 'open');

  // A standard question: the bot answers at once, labelled as the assistant.
  const first = await shopperSends(shopper, STANDARD_QUESTION);
  expect(first.reply_action).toBe('answer');
  expect(first.reply?.sender).toBe('bot');
  const answerId = first.reply!.id;
  const answer = shopper.locator(`[data-testid="widget-message"][data-message-id="${answerId}"]`);
  await expect(answer).toBeVisible();
  await expect(answer).toHaveAttribute('data-sender', 'bot');
  await expect(answer.getByTestId('widget-bot-label')).toHaveText(/智能助手/);
  await expect(answer).toContainText(first.reply!.text);
  // The reply came in the POST answer and over the socket: it is shown once.
  await expect.poll(() => frames.some((f) => f.includes(answerId))).toBe(true);
  await shopper.waitForTimeout(300);
  await expect(answer).toHaveCount(1);

  // Rated once: 有帮助, then the thanks instead of the buttons.
  const rating = answer.getByTestId('widget-rating');
  await expect(rating).toHaveAttribute('data-state', 'open');
  await expect(answer.getByTestId('widget-rate-unhelpful')).toHaveText(/没帮助/);
  const rated = shopper.waitForResponse((r) => r.url().endsWith(`/widget/messages/${answerId}/rating`));
  await answer.getByTestId('widget-rate-helpful').click();
  expect((await rated).status()).toBe(200);
  await expect(answer.getByTestId('widget-rating-thanks')).toHaveText('感谢反馈');
  await expect(answer.getByTestId('widget-rate-helpful')).toHaveCount(0);

  // 转人工: the bot hands off, and a hand-off notice is not something to rate.
  const second = await shopperSends(shopper, '转人工');
  expect(second.reply_action).toBe('hand_off');
  expect(second.conversation_id).toBe(first.conversation_id);
  const notice = shopper.locator(`[data-testid="widget-message"][data-message-id="${second.reply!.id}"]`);
  await expect(notice).toBeVisible();
  await expect(notice.getByTestId('widget-rating')).toHaveCount(0);
  const conversationId = first.conversation_id;

  // The agent sees why the bot handed off, already in the list.
  const agent = await signIn(browser, env('KEFU_E2E_USERNAME'));
  await expect(agent.getByTestId('live-status')).toHaveAttribute('data-state', 'open');
  const item = agent.locator(
    `[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`,
  );
  await expect(item.getByTestId('handoff-badge')).toHaveAttribute('data-reason', 'customer_request');
  await expect(item.getByTestId('handoff-badge')).toHaveText('要求人工');
  await item.click();

  const banner = agent.getByTestId('handoff-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toHaveAttribute('data-reason', 'customer_request');
  await expect(banner.getByTestId('handoff-reason')).toHaveText('顾客要求转人工');
  await expect(banner.getByTestId('handoff-question')).toContainText('转人工');
  // The bot's messages are the bot's, not the shopper's.
  await expect(
    agent.locator(`[data-testid="message"][data-message-id="${answerId}"]`),
  ).toHaveAttribute('data-sender', 'bot');

  // 机器人记录: the answer (rated helpful) and the hand-off.
  await agent.getByTestId('bot-turns-toggle').click();
  const turns = agent.getByTestId('bot-turn');
  await expect(turns).toHaveCount(2);
  await expect(turns.nth(0)).toHaveAttribute('data-action', 'answer');
  await expect(turns.nth(0)).toHaveAttribute('data-helpful', 'true');
  await expect(turns.nth(0).getByTestId('bot-turn-entries')).toHaveText(STANDARD_ENTRY);
  await expect(turns.nth(0).getByTestId('bot-turn-vote')).toHaveText('👍');
  await expect(turns.nth(1)).toHaveAttribute('data-action', 'hand_off');
  await expect(turns.nth(1).getByTestId('bot-turn-reason')).toHaveText('顾客要求转人工');

  // English once: the reason follows the language.
  await agent.getByTestId('lang-toggle').click();
  await expect(banner.getByTestId('handoff-reason')).toHaveText('Shopper asked for a person');
  await agent.getByTestId('lang-toggle').click();
  await expect(banner.getByTestId('handoff-reason')).toHaveText('顾客要求转人工');

  // 推荐回答 for the shopper's latest message, refetched live when the shopper writes again.
  const panel = agent.getByTestId('assist-panel');
  await expect(panel.getByTestId('assist-question')).toContainText('转人工');
  const third = await shopperSends(shopper, ORDER_QUESTION);
  expect(third.reply).toBeNull();
  await expect(panel).toHaveAttribute('data-message-id', third.message.id);
  await expect(panel.getByTestId('assist-question')).toContainText(ORDER_QUESTION);
  const suggestions = panel.getByTestId('assist-suggestion');
  await expect(suggestions.first()).toBeVisible();
  expect(await suggestions.count()).toBeLessThanOrEqual(3);

  // A visitor has no order: the order answer is marked, and its variable must be filled.
  const orderAnswer = suggestions.first();
  await expect(orderAnswer.getByTestId('assist-suggestion-question')).toHaveText(ORDER_QUESTION);
  await expect(orderAnswer).toHaveAttribute('data-complete', 'false');
  await expect(orderAnswer.getByTestId('assist-incomplete')).toHaveText('需补充变量');
  await orderAnswer.click();
  const reply = agent.getByTestId('reply-input');
  await expect(reply).toHaveValue(/\{order\.no\}/);
  await expect(agent.getByTestId('reply-error')).toContainText('{order.no}');
  await expect(agent.getByTestId('reply-send')).toBeDisabled();

  // A complete answer: into the reply box (not sent) …
  await shopperSends(shopper, STOCK_QUESTION);
  await expect(panel.getByTestId('assist-question')).toContainText(STOCK_QUESTION);
  const stock = suggestions.first();
  await expect(stock.getByTestId('assist-suggestion-question')).toHaveText(STOCK_QUESTION);
  await expect(stock).toHaveAttribute('data-complete', 'true');
  const entryId = await stock.getAttribute('data-entry-id');
  const stockAnswer = (await stock.getByTestId('assist-suggestion-answer').textContent()) ?? '';
  expect(stockAnswer.length).toBeGreaterThan(0);
  await stock.click();
  await expect(reply).toHaveValue(stockAnswer);
  await expect(agent.getByTestId('reply-error')).toHaveCount(0);
  await expect(
    agent.locator('[data-testid="message"][data-sender="agent"]').filter({ hasText: stockAnswer }),
  ).toHaveCount(0);

  // … and once sent, it counts as a use of its entry and reaches the shopper.
  const used = agent.waitForResponse((r) => r.url().endsWith(`/api/v1/knowledge/${entryId}/used`));
  await agent.getByTestId('reply-send').click();
  expect((await used).status()).toBe(200);
  await expect(reply).toHaveValue('');
  await expect(
    shopper.locator('[data-testid="widget-message"][data-sender="agent"]').filter({ hasText: stockAnswer }),
  ).toBeVisible();

  await agent.context().close();
  await shopperContext.close();
});

test('unanswered questions become proposals: a supervisor regenerates, approves and dismisses them', async ({
  browser,
  request,
}) => {
  // Three shoppers ask what the knowledge base cannot answer; a fourth asks something else.
  for (const text of CAT_FOOD) {
    const sent = await visitorAsks(request, text);
    expect(sent.reply_action).toBe('hand_off');
  }
  expect((await visitorAsks(request, PART_TIME)).reply_action).toBe('hand_off');

  const page = await openKnowledge(browser, SUPERVISOR);
  await page.getByTestId('kb-view-proposals').click();
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/knowledge/proposals/refresh'));
  await page.getByTestId('kb-proposals-refresh').click();
  expect((await refreshed).status()).toBe(200);
  await expect(page.getByTestId('kb-proposals-refreshed')).toContainText('生成于');

  // One proposal for the three (with any cat-food questions of earlier runs on this server).
  const catFood = page.getByTestId('kb-proposal').filter({ hasText: '猫粮' });
  await expect(catFood).toHaveCount(1);
  const asked = /^被问 (\d+) 次 · (\d+) 位顾客$/.exec(
    (await catFood.getByTestId('kb-proposal-asked').textContent()) ?? '',
  );
  expect(asked).not.toBeNull();
  const askers = Number(asked![2]);
  expect(askers).toBeGreaterThanOrEqual(3);
  const partTime = page.getByTestId('kb-proposal').filter({ hasText: PART_TIME });
  await expect(partTime).toHaveCount(1);

  // Approve: the editor opens with the questions and an empty answer.
  await catFood.getByTestId('kb-proposal-approve').click();
  const editor = page.getByTestId('kb-editor');
  await expect(editor).toBeVisible();
  await expect(editor.getByTestId('kb-editor-proposal')).toContainText(`${askers} 位顾客`);
  const question = await editor.getByTestId('kb-question').inputValue();
  const similar = (await editor.getByTestId('kb-similar').inputValue()).split('\n');
  for (const q of [question, ...similar]) expect(q).toContain('猫粮');
  if (askers === CAT_FOOD.length) expect([question, ...similar].sort()).toEqual([...CAT_FOOD].sort());
  await expect(editor.getByTestId('kb-answer')).toHaveValue('');
  await expect(editor.getByTestId('kb-save')).toHaveText('采纳并发布');
  await editor.getByTestId('kb-answer').fill('亲，本店专注母婴用品，暂时没有猫粮哦～');
  const approved = page.waitForResponse((r) => /\/knowledge\/proposals\/[^/]+\/approve$/.test(r.url()));
  await editor.getByTestId('kb-save').click();
  expect((await approved).status()).toBe(201);
  await expect(editor).toHaveAttribute('data-status', 'published');
  await expect(editor.getByTestId('kb-saved')).toBeVisible();
  const entryId = await editor.getAttribute('data-entry-id');
  await editor.getByTestId('kb-editor-close').click();
  await expect(catFood).toHaveCount(0);

  // The bot now answers the question with the new entry.
  await page.getByTestId('kb-test-input').fill(question);
  await page.getByTestId('kb-test-submit').click();
  await expect(page.getByTestId('kb-test-decision')).toHaveAttribute('data-action', 'answer');
  await expect(page.getByTestId('kb-test-decision').getByTestId('kb-test-entry')).toHaveText(question);

  // Dismiss the other one.
  const dismissed = page.waitForResponse((r) => /\/knowledge\/proposals\/[^/]+\/dismiss$/.test(r.url()));
  await partTime.getByTestId('kb-proposal-dismiss').click();
  expect((await dismissed).status()).toBe(200);
  await expect(partTime).toHaveCount(0);

  // An agent reads the proposals and the retirement list without acting on them.
  const agent = await openKnowledge(browser, env('KEFU_E2E_USERNAME'));
  await agent.getByTestId('kb-view-proposals').click();
  await expect(agent.getByTestId('kb-proposals-refreshed')).toContainText('生成于');
  await expect(agent.getByTestId('kb-proposals-refresh')).toHaveCount(0);
  await expect(agent.getByTestId('kb-proposal-approve')).toHaveCount(0);
  await expect(agent.getByTestId('kb-proposal-dismiss')).toHaveCount(0);
  await agent.getByTestId('kb-view-retirement').click();
  await expect(agent.getByTestId('kb-retire-row').first()).toBeVisible();
  await expect(agent.getByTestId('kb-retire')).toHaveCount(0);
  await agent.context().close();

  // Leave the knowledge base as it was: retire and delete the new entry.
  const auth = { Authorization: `Bearer ${await token(page)}` };
  const entry = (await (await request.get(`/api/v1/knowledge/${entryId}`, { headers: auth })).json()) as {
    version: number;
  };
  const moved = await request.post(`/api/v1/knowledge/${entryId}/status`, {
    headers: auth,
    data: { status: 'retired', version: entry.version },
  });
  expect(moved.status()).toBe(200);
  const { version } = (await moved.json()) as { version: number };
  const deleted = await request.delete(`/api/v1/knowledge/${entryId}?version=${version}`, {
    headers: auth,
  });
  expect(deleted.status()).toBeLessThan(300);

  await page.context().close();
});

test('a supervisor retires one of the least useful entries with one click', async ({
  browser,
  request,
}) => {
  const page = await openKnowledge(browser, SUPERVISOR);
  await page.getByTestId('kb-view-retirement').click();
  const rows = page.getByTestId('kb-retire-row');
  await expect(rows.first()).toBeVisible();
  await expect(rows.first().getByTestId('kb-retire-usefulness')).toHaveText(/^\d+(\.\d)?%$/);

  const row = rows.first();
  const id = await row.getAttribute('data-entry-id');
  const question = (await row.getByTestId('kb-retire-question').textContent()) ?? '';
  await row.getByTestId('kb-retire').click();
  await expect(page.getByTestId('kb-retirement-notice')).toContainText(question);
  await expect(page.locator(`[data-testid="kb-retire-row"][data-entry-id="${id}"]`)).toHaveCount(0);

  // The entries list shows it retired.
  await page.getByTestId('kb-view-entries').click();
  await expect(
    page.locator(`[data-testid="kb-row"][data-entry-id="${id}"]`).getByTestId('kb-row-status'),
  ).toHaveText('已下线');

  // Put it back for the other tests: retired → draft → published.
  const auth = { Authorization: `Bearer ${await token(page)}` };
  const entry = (await (await request.get(`/api/v1/knowledge/${id}`, { headers: auth })).json()) as {
    version: number;
  };
  const draft = await request.post(`/api/v1/knowledge/${id}/status`, {
    headers: auth,
    data: { status: 'draft', version: entry.version },
  });
  expect(draft.status()).toBe(200);
  const published = await request.post(`/api/v1/knowledge/${id}/status`, {
    headers: auth,
    data: { status: 'published', version: ((await draft.json()) as { version: number }).version },
  });
  expect(published.status()).toBe(200);

  await page.context().close();
});
