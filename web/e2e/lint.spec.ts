import { test, expect, type Page } from '@playwright/test';
import { env, openConversation, signIn, visitorWrites } from './support';

/**
 * The live lint in the reply box: as the agent types, forbidden phrases, promises, sensitive
 * content and personal data are highlighted in the box and listed under it; a forbidden phrase
 * is replaced by its better phrasing in one click; a flagged reply can still be sent and the
 * record says so. Prints the time from the last keystroke to the highlight.
 */

declare global {
  interface Window {
    __lastInputAt?: number;
    __lintShownAt?: number;
  }
}

/** Types `text` key by key and returns the ms from the last keystroke to the first highlight. */
async function typeAndTimeHighlight(page: Page, text: string): Promise<number> {
  const input = page.getByTestId('reply-input');
  await input.fill('');
  await expect(page.getByTestId('lint-mark')).toHaveCount(0);
  await page.evaluate(() => {
    window.__lastInputAt = undefined;
    window.__lintShownAt = undefined;
  });
  await input.pressSequentially(text, { delay: 40 });
  await page.waitForFunction(() => typeof window.__lintShownAt === 'number');
  return page.evaluate(() => (window.__lintShownAt ?? 0) - (window.__lastInputAt ?? 0));
}

test('the reply box flags risky wording as the agent types', async ({ browser, request }) => {
  const conversationId = await visitorWrites(request, '你好，我的快递怎么还没到？');
  const agent = await signIn(browser, env('KEFU_E2E_USERNAME'));
  await expect(agent.getByTestId('live-status')).toHaveAttribute('data-state', 'open');
  await openConversation(agent, conversationId);
  const input = agent.getByTestId('reply-input');
  await expect(input).toBeEnabled();

  // Timestamps in the page: the last input event, and the first highlight after it.
  await agent.evaluate(() => {
    const box = document.querySelector('[data-testid="reply-input"]');
    const backdrop = document.querySelector('[data-testid="lint-backdrop"]');
    if (!box || !backdrop) throw new Error('reply box not found');
    box.addEventListener('input', () => {
      window.__lastInputAt = performance.now();
      window.__lintShownAt = undefined;
    });
    new MutationObserver(() => {
      if (window.__lintShownAt === undefined && backdrop.querySelector('[data-testid="lint-mark"]')) {
        window.__lintShownAt = performance.now();
      }
    }).observe(backdrop, { childList: true, subtree: true, characterData: true });
  });

  const samples: number[] = [];
  const cases: [string, string][] = [
    ['亲，这个不归我管哦', 'forbidden_phrase'],
    ['放心，保证明天到', 'unauthorized_promise'],
    ['加我微信聊吧', 'sensitive'],
    ['收件电话13812345678对吗', 'personal_data'],
    ['没❗办❗法', 'forbidden_phrase'],
  ];
  for (const [text, label] of cases) {
    samples.push(await typeAndTimeHighlight(agent, text));
    await expect(
      agent.locator(`[data-testid="lint-finding"][data-label="${label}"]`).first(),
    ).toBeVisible();
    await expect(agent.locator(`[data-testid="lint-mark"][data-label="${label}"]`).first()).toBeAttached();
  }
  const sorted = [...samples].sort((a, b) => a - b);
  console.log(
    `reply-box lint, last keystroke → highlight: ${samples.map((s) => s.toFixed(1)).join(', ')} ms ` +
      `(median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms)`,
  );

  // One click puts the better phrasing in place of the forbidden phrase.
  await input.fill('');
  await input.pressSequentially('不知道，您等等吧');
  const finding = agent.locator('[data-testid="lint-finding"][data-label="forbidden_phrase"]').first();
  await expect(finding).toBeVisible();
  await finding.getByTestId('lint-apply').click();
  await expect(input).not.toHaveValue(/不知道/);
  await expect(agent.locator('[data-testid="lint-finding"][data-label="forbidden_phrase"]')).toHaveCount(0);

  // A flagged reply can still be sent; the agent is told the check recorded it.
  await input.fill('亲，给您补偿50元红包，您看可以吗');
  await expect(
    agent.locator('[data-testid="lint-finding"][data-rule="promise.compensation"]'),
  ).toBeVisible();
  await agent.getByTestId('reply-send').click();
  await expect(agent.getByTestId('lint-sent')).toBeVisible();
  await expect(input).toHaveValue('');
  const sent = agent
    .locator('[data-testid="message"][data-sender="agent"]')
    .filter({ hasText: '补偿50元红包' });
  await expect(sent).toBeVisible();
  await expect(sent.getByTestId('lint-recorded')).toBeVisible();

  // The record stays: after a reload the message still carries its mark.
  await agent.reload();
  await openConversation(agent, conversationId);
  await expect(
    agent
      .locator('[data-testid="message"][data-sender="agent"]')
      .filter({ hasText: '补偿50元红包' })
      .getByTestId('lint-recorded'),
  ).toBeVisible();
});
