import { test, expect, type Page } from '@playwright/test';
import { env, openConversation, signIn, token, visitorWrites } from './support';

/**
 * Conversation QA (质检) against a running `kefu demo` server: an agent closes a conversation and
 * sees its score and items at once, then appeals (申诉) one item, once; the supervisor opens the
 * 质检 page, overrides another item with a comment, and accepts the appeal with a new score;
 * the agent sees the decision. Environment as for chat.spec.ts.
 */

const SUPERVISOR = 'zhaozhuguan';
/** Keeps this run's texts apart from any earlier run against the same server. */
const RUN = Math.random().toString(36).slice(2, 7);

test.beforeAll(() => {
  env('KEFU_E2E_URL');
});

function qaItem(page: Page, item: string) {
  return page.locator(`[data-testid="qa-item"][data-item="${item}"]`);
}

test('an agent closes a conversation, sees its score and appeals; the supervisor overrides an item and accepts the appeal', async ({
  browser,
  request,
}) => {
  const agent = await signIn(browser, env('KEFU_E2E_USERNAME'));
  const conversation = await visitorWrites(request, `快递三天没动了，帮我看看${RUN}`);
  const reply = await request.post(`/api/v1/conversations/${conversation}/messages`, {
    headers: { Authorization: `Bearer ${await token(agent)}` },
    data: { text: '理解您的心情，抱歉让您久等了，我马上为您查询物流' },
  });
  expect(reply.status()).toBe(201);
  await openConversation(agent, conversation);

  // Closing scores it: the QA card shows the total and the six items with their weights.
  await agent.getByTestId('close-conversation').click();
  await agent.getByTestId('close-conversation-confirm').click();
  const card = agent.getByTestId('qa-card');
  await expect(card).toBeVisible();
  await expect(agent.getByTestId('qa-total')).toHaveText(/^\d{1,3}$/);
  await expect(agent.getByTestId('qa-item')).toHaveCount(6);
  await expect(qaItem(agent, 'politeness')).toContainText('话术结构');
  await expect(qaItem(agent, 'politeness')).toContainText('目标 60/30/10');
  await expect(qaItem(agent, 'timeliness')).toContainText('权重 20');
  // Agents do not override.
  await expect(agent.getByTestId('qa-review-open')).toHaveCount(0);

  // The agent appeals the timeliness item, once.
  await agent.getByTestId('qa-appeal-open').click();
  await agent.getByTestId('qa-appeal-item').selectOption('timeliness');
  await agent.getByTestId('qa-appeal-reason').fill(`顾客消息一到我就回复了${RUN}`);
  await agent.getByTestId('qa-appeal-submit').click();
  await expect(agent.getByTestId('qa-appeal-status')).toHaveText('申诉中');
  await expect(agent.getByTestId('qa-appeal-open')).toHaveCount(0);

  // The supervisor's 质检 page: the scored conversation, the agent's average, the open appeal.
  const boss = await signIn(browser, SUPERVISOR);
  await boss.getByTestId('nav-qa').click();
  await expect(boss).toHaveURL(/\/qa$/);
  const row = boss.locator(`[data-testid="qa-score-row"][data-conversation-id="${conversation}"]`);
  await expect(row).toBeVisible();
  await expect(boss.getByTestId('qa-average-row').first()).toBeVisible();

  // Overrides politeness with a comment; the item shows who changed it and why.
  await row.click();
  const politeness = qaItem(boss, 'politeness');
  await politeness.getByTestId('qa-review-open').click();
  await politeness.getByTestId('qa-review-score').fill('95');
  await politeness.getByTestId('qa-review-comment').fill(`语气温和，复核加分${RUN}`);
  await politeness.getByTestId('qa-review-submit').click();
  await expect(politeness.getByTestId('qa-item-score')).toHaveText('95');
  await expect(politeness.getByTestId('qa-item-review')).toContainText(`语气温和，复核加分${RUN}`);
  await expect(boss.getByTestId('qa-reviewed')).toBeVisible();

  // Accepts the appeal with a new timeliness score.
  const appeal = boss.getByTestId('qa-appeal-row').filter({ hasText: RUN });
  await expect(appeal).toBeVisible();
  await appeal.getByTestId('qa-decide-open').click();
  await appeal.getByTestId('qa-decide-accept').check();
  await appeal.getByTestId('qa-decide-score').fill('100');
  await appeal.getByTestId('qa-decide-comment').fill('核实聊天记录，回复及时');
  await appeal.getByTestId('qa-decide-submit').click();
  await expect(boss.getByTestId('qa-appeal-row').filter({ hasText: RUN })).toHaveCount(0);
  await expect(boss.getByTestId('qa-appeal-status')).toHaveText('申诉通过');
  await expect(qaItem(boss, 'timeliness').getByTestId('qa-item-score')).toHaveText('100');

  // The agent sees the decision on the conversation.
  await agent.goto(`/workspace?c=${conversation}`);
  await expect(agent.getByTestId('qa-appeal-status')).toHaveText('申诉通过');
  await expect(agent.getByTestId('qa-appeal-decision')).toContainText('核实聊天记录，回复及时');
});
