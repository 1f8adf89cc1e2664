import { test, expect, type Browser, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The knowledge base page (知识库) against a running `kefu demo` server, used the way a
 * supervisor and an agent would. Environment as for chat.spec.ts: KEFU_E2E_URL,
 * KEFU_E2E_USERNAME (an agent, read-only here) and KEFU_E2E_PASSWORD, which the demo's
 * supervisor `zhaozhuguan` shares.
 */

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required for the e2e tests`);
  return value;
}

const SUPERVISOR = 'zhaozhuguan';
const NEW_QUESTION = '可以用花呗分期吗';
const NEW_ANSWER = '亲，支持花呗分期哦，在结算页选择花呗分期即可，免息期数以结算页显示为准～';
/** A suffix that keeps this run's entry codes apart from any earlier run against the same server. */
const RUN = Math.random().toString(36).slice(2, 8);

let dir = '';

test.beforeAll(() => {
  env('KEFU_E2E_URL');
  dir = mkdtempSync(join(tmpdir(), 'kefu-kb-e2e-'));
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signIn(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-shop').fill('demo');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(env('KEFU_E2E_PASSWORD'));
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/workspace$/);
  return page;
}

/** Signs in and opens 知识库 from the navigation. */
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

async function search(page: Page, text: string): Promise<void> {
  const response = page.waitForResponse(
    (r) => r.url().includes('/api/v1/knowledge?') && r.url().includes('q='),
  );
  await page.getByTestId('kb-search').fill(text);
  await page.getByTestId('kb-search').press('Enter');
  await response;
}

async function askBot(page: Page, text: string): Promise<void> {
  await page.getByTestId('kb-test-input').fill(text);
  const response = page.waitForResponse((r) => r.url().endsWith('/api/v1/knowledge/search'));
  await page.getByTestId('kb-test-submit').click();
  expect((await response).status()).toBe(200);
}

function csv(name: string, lines: string[]): string {
  const path = join(dir, name);
  // A UTF-8 BOM, as Excel writes it.
  writeFileSync(path, `\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
  return path;
}

test('supervisor searches the knowledge base, tests the bot and reads it in English', async ({
  browser,
}) => {
  const page = await openKnowledge(browser, SUPERVISOR);
  await expect(page.getByTestId('kb-nav')).toHaveText('知识库');
  await expect(page.getByTestId('kb-readonly')).toHaveCount(0);
  const published = Number(await page.getByTestId('kb-count-published').textContent());
  expect(published).toBeGreaterThanOrEqual(136);

  // Search: 快递 narrows the list to entries about parcels, among them kb-022.
  await search(page, '快递');
  const row = page.locator('[data-testid="kb-row"][data-key="kb-022"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('kb-row-question')).toHaveText('我的快递到哪了');
  await expect(row.getByTestId('kb-row-status')).toHaveText('已发布');
  const found = await page.getByTestId('kb-row').count();
  expect(found).toBeGreaterThan(0);
  expect(found).toBeLessThan(published);
  for (const question of await page.getByTestId('kb-row-question').allTextContents()) {
    expect(question.length).toBeGreaterThan(0);
  }

  // 测试问答: a Traditional-character question with an emoji is answered with kb-022.
  await askBot(page, '快遞到哪了呀😭');
  const decision = page.getByTestId('kb-test-decision');
  await expect(decision).toHaveAttribute('data-action', 'answer');
  await expect(decision).toContainText('直接回答');
  await expect(decision.getByTestId('kb-test-entry')).toContainText('我的快递到哪了');
  await expect(page.getByTestId('kb-test-candidate').first()).toContainText('我的快递到哪了');
  await expect(page.getByTestId('kb-test-probability').first()).toHaveText(/^\d+(\.\d)?%$/);

  // A shopper asking for a person is handed off, with the reason translated.
  await askBot(page, '我要转人工');
  await expect(decision).toHaveAttribute('data-action', 'hand_off');
  await expect(page.getByTestId('kb-test-reason')).toContainText('顾客要求转人工');

  // English once: labels and the decision follow the language.
  await page.getByTestId('lang-toggle').click();
  await expect(page.getByTestId('kb-nav')).toHaveText('Knowledge base');
  await expect(page.getByTestId('kb-test-reason')).toContainText('Shopper asked for a person');
  await expect(page.getByTestId('kb-tab-published')).toContainText('Published');
  await page.getByTestId('lang-toggle').click();
  await expect(page.getByTestId('kb-nav')).toHaveText('知识库');

  await page.context().close();
});

test('supervisor creates and publishes an entry, the bot finds it, a stale edit is caught', async ({
  browser,
}) => {
  const page = await openKnowledge(browser, SUPERVISOR);

  // New entry, saved as a draft.
  await page.getByTestId('kb-new').click();
  const editor = page.getByTestId('kb-editor');
  await expect(editor).toBeVisible();
  await expect(editor.getByTestId('kb-variables')).toContainText('{order.tracking_no}');
  await editor.getByTestId('kb-question').fill(NEW_QUESTION);
  await editor.getByTestId('kb-similar').fill('花呗能分期付款吗\n支持花呗分期吗');
  await editor.getByTestId('kb-answer').fill(NEW_ANSWER);
  await editor.getByTestId('kb-tags').fill('支付，花呗');
  await editor.getByTestId('kb-save').click();
  await expect(editor).toHaveAttribute('data-status', 'draft');
  await expect(editor.getByTestId('kb-saved')).toBeVisible();
  const id = await editor.getAttribute('data-entry-id');
  expect(id).toBeTruthy();

  // A draft may go to review or straight to publication.
  const actions = editor.getByTestId('kb-status-action');
  await expect(actions).toHaveCount(2);
  await expect(editor.locator('[data-testid="kb-status-action"][data-status="in_review"]')).toHaveText(
    '提交审核',
  );
  await editor.locator('[data-testid="kb-status-action"][data-status="published"]').click();
  await expect(editor).toHaveAttribute('data-status', 'published');
  await expect(editor.getByTestId('kb-editor-status')).toHaveText('已发布');
  await expect(editor.locator('[data-testid="kb-status-action"][data-status="retired"]')).toHaveText(
    '下线',
  );
  await editor.getByTestId('kb-editor-close').click();
  await expect(editor).toHaveCount(0);

  // The list shows it as published, and the bot finds it at once.
  const row = page.locator(`[data-testid="kb-row"][data-entry-id="${id}"]`);
  await expect(row.getByTestId('kb-row-status')).toHaveText('已发布');
  await askBot(page, NEW_QUESTION);
  const first = page.getByTestId('kb-test-candidate').first();
  await expect(first).toHaveAttribute('data-entry-id', id!);
  const decision = page.getByTestId('kb-test-decision');
  await expect(decision).toHaveAttribute('data-action', 'answer');
  await expect(decision.getByTestId('kb-test-entry')).toHaveText(NEW_QUESTION);

  // Someone else changes the entry meanwhile (through the API, with the same token) …
  await row.click();
  await expect(editor.getByTestId('kb-question')).toHaveValue(NEW_QUESTION);
  const version = Number(await editor.getAttribute('data-version'));
  const other = await page.request.put(`/api/v1/knowledge/${id}`, {
    headers: { Authorization: `Bearer ${await token(page)}` },
    data: {
      question: NEW_QUESTION,
      similar: ['花呗能分期付款吗'],
      answer: `${NEW_ANSWER}（他人修改）`,
      tags: ['支付'],
      products: [],
      version,
    },
  });
  expect(other.status()).toBe(200);

  // … so saving the stale copy is refused with the translated message and a reload.
  await editor.getByTestId('kb-answer').fill(`${NEW_ANSWER}（我的修改）`);
  await expect(editor.getByTestId('kb-dirty')).toBeVisible();
  await editor.getByTestId('kb-save').click();
  const error = editor.getByTestId('kb-editor-error');
  await expect(error).toContainText('内容已被他人修改，请刷新后重试');
  await expect(error).toHaveAttribute('data-code', 'stale_version');
  await editor.getByTestId('kb-reload').click();
  await expect(editor.getByTestId('kb-answer')).toHaveValue(`${NEW_ANSWER}（他人修改）`);
  await expect(error).toHaveCount(0);
  await editor.getByTestId('kb-answer').fill(`${NEW_ANSWER}（我的修改）`);
  await editor.getByTestId('kb-save').click();
  await expect(editor.getByTestId('kb-saved')).toBeVisible();
  await expect(editor).toHaveAttribute('data-version', String(version + 2));

  // A form problem names the field: an unknown variable in the answer.
  await editor.getByTestId('kb-answer').fill('您的单号是{order.trackingno}');
  await editor.getByTestId('kb-save').click();
  await expect(error.getByTestId('error-detail')).toContainText('答案');
  await expect(editor.getByTestId('kb-reload')).toHaveCount(0);

  // Retire it, then delete it: the page is back as it was.
  await editor.getByTestId('kb-editor-close').click();
  await row.click();
  await editor.locator('[data-testid="kb-status-action"][data-status="retired"]').click();
  await expect(editor).toHaveAttribute('data-status', 'retired');
  await editor.getByTestId('kb-delete').click();
  await editor.getByTestId('kb-delete-confirm').click();
  await expect(editor).toHaveCount(0);
  await expect(row).toHaveCount(0);

  await page.context().close();
});

test('supervisor imports a CSV, sees row errors, and exports the knowledge base', async ({
  browser,
}) => {
  const page = await openKnowledge(browser, SUPERVISOR);
  const result = page.getByTestId('kb-import-result');
  const input = page.getByTestId('kb-import-input');
  await expect(input).toHaveAttribute('accept', '.xlsx,.csv,.jsonl');

  const good = csv('good.csv', [
    '编号,标准问题,相似问题,答案',
    `e2e-${RUN}-1,能开发票吗（${RUN}）,可以开票吗|发票怎么开,亲，可以开电子发票的，下单时填写抬头即可～`,
    `e2e-${RUN}-2,可以送货上门吗（${RUN}）,送货上门吗,亲，快递会送到您填写的地址哦～`,
  ]);
  await page.getByTestId('kb-import-status').selectOption('draft');
  await input.setInputFiles(good);
  await expect(result).toHaveAttribute('data-state', 'ok');
  await expect(result).toContainText('导入完成：新增 2 条，更新 0 条');
  const imported = page.locator(`[data-testid="kb-row"][data-key="e2e-${RUN}-1"]`);
  await expect(imported.getByTestId('kb-row-status')).toHaveText('草稿');

  // The same file again updates the same entries rather than adding new ones.
  await input.setInputFiles(good);
  await expect(result).toContainText('导入完成：新增 0 条，更新 2 条');

  // A row without an answer: nothing is written and the row is named.
  const bad = csv('bad.csv', [
    '编号,标准问题,相似问题,答案',
    `e2e-${RUN}-3,支持七天无理由退货吗（${RUN}）,,亲，支持七天无理由退货哦～`,
    `e2e-${RUN}-4,发什么快递（${RUN}）,,`,
  ]);
  await input.setInputFiles(bad);
  await expect(result).toHaveAttribute('data-state', 'error');
  await expect(result).toContainText('导入失败');
  const detail = result.getByTestId('error-detail');
  await expect(detail).toHaveCount(1);
  await expect(detail).toHaveAttribute('data-row', '3');
  await expect(detail).toContainText('第 3 行');
  await expect(detail).toContainText('答案');
  await expect(page.locator(`[data-testid="kb-row"][data-key="e2e-${RUN}-3"]`)).toHaveCount(0);

  // Export: the browser downloads 知识库.xlsx, or a CSV holding the entries.
  let download = page.waitForEvent('download');
  await page.getByTestId('kb-export').click();
  let file = await download;
  expect(file.suggestedFilename()).toBe('知识库.xlsx');
  const xlsx = readFileSync(await file.path());
  expect(xlsx.subarray(0, 2).toString('latin1')).toBe('PK');

  await page.getByTestId('kb-export-format').selectOption('csv');
  download = page.waitForEvent('download');
  await page.getByTestId('kb-export').click();
  file = await download;
  expect(file.suggestedFilename()).toBe('知识库.csv');
  const text = readFileSync(await file.path(), 'utf8');
  expect(text).toContain('标准问题');
  expect(text).toContain('我的快递到哪了');
  expect(text).toContain(`e2e-${RUN}-1`);

  await page.context().close();
});

test('supervisor saves the bot settings; an inconsistent value is refused', async ({ browser }) => {
  const page = await openKnowledge(browser, SUPERVISOR);
  const clarify = page.getByTestId('kb-settings-clarify_threshold');
  await expect(clarify).toBeEnabled();
  const original = await clarify.inputValue();
  expect(Number(original)).toBeGreaterThan(0);

  await clarify.fill('0.99');
  await page.getByTestId('kb-settings-save').click();
  const error = page.getByTestId('kb-settings-error');
  await expect(error).toContainText('提交的内容不符合要求');
  await expect(error.getByTestId('error-detail')).toContainText('clarify_threshold');

  await clarify.fill(original);
  await page.getByTestId('kb-settings-save').click();
  await expect(page.getByTestId('kb-settings-saved')).toHaveText('设置已保存');
  await expect(error).toHaveCount(0);

  await page.context().close();
});

test('an agent sees the knowledge base read-only but can search and test it', async ({
  browser,
}) => {
  const page = await openKnowledge(browser, env('KEFU_E2E_USERNAME'));
  await expect(page.getByTestId('kb-readonly')).toHaveText('只读');
  await expect(page.getByTestId('kb-new')).toHaveCount(0);
  await expect(page.getByTestId('kb-import')).toHaveCount(0);
  await expect(page.getByTestId('kb-import-input')).toHaveCount(0);
  await expect(page.getByTestId('kb-settings-save')).toHaveCount(0);
  await expect(page.getByTestId('kb-settings-answer_threshold')).toBeDisabled();
  await expect(page.getByTestId('kb-export')).toBeVisible();

  await search(page, '快递');
  await page.locator('[data-testid="kb-row"][data-key="kb-022"]').click();
  const editor = page.getByTestId('kb-editor');
  await expect(editor).toHaveAttribute('data-readonly', 'true');
  await expect(editor.getByTestId('kb-question')).toHaveValue('我的快递到哪了');
  await expect(editor.getByTestId('kb-question')).not.toBeEditable();
  await expect(editor.getByTestId('kb-answer')).not.toBeEditable();
  await expect(editor.getByTestId('kb-save')).toHaveCount(0);
  await expect(editor.getByTestId('kb-status-action')).toHaveCount(0);
  await expect(editor.getByTestId('kb-delete')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(editor).toHaveCount(0);

  await askBot(page, '快遞到哪了呀😭');
  await expect(page.getByTestId('kb-test-decision')).toHaveAttribute('data-action', 'answer');
  await expect(page.getByTestId('kb-test-decision')).toContainText('我的快递到哪了');

  await page.context().close();
});
