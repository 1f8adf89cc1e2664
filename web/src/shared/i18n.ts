import { createI18n, useI18n } from 'vue-i18n';
import { watch } from 'vue';
import { ApiError } from './api';
import { messages, type Locale, type MessageSchema } from './messages';

const STORAGE_KEY = 'kefu.locale';

function storedLocale(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages,
  missingWarn: false,
  fallbackWarn: false,
});

const global = i18n.global;

function applyDocumentLang(locale: Locale): void {
  document.documentElement.lang = locale;
}

applyDocumentLang(global.locale.value);
watch(global.locale, (locale) => {
  applyDocumentLang(locale);
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // storage unavailable (private mode); the choice lasts for this page only
  }
});

export function toggleLocale(): void {
  global.locale.value = global.locale.value === 'zh-CN' ? 'en' : 'zh-CN';
}

/** Translates an error from the API (by its code) or any other thrown value. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const key = `errors.${err.code}`;
    if (global.te(key)) return global.t(key);
    return err.message || global.t('errors.internal');
  }
  if (err instanceof Error && err.message) return err.message;
  return global.t('errors.internal');
}

/** Translates a known error code (client-side validation uses the API's codes). */
export function errorCodeText(code: string): string {
  const key = `errors.${code}`;
  return global.te(key) ? global.t(key) : code;
}

export { useI18n };
export type { Locale };
