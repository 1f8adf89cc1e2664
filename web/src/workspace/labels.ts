/** Translated labels for enum-like API values, tolerant of values added later. */
import { i18n } from '@/shared/i18n';

const { t, te } = i18n.global;

function label(group: string, value: string | null | undefined): string {
  if (!value) return '';
  const key = `${group}.${value}`;
  return te(key) ? t(key) : value;
}

export const stateLabel = (state: string): string => label('state', state);
export const tierLabel = (tier: string): string => label('tier', tier);
export const channelLabel = (channel: string): string => label('channel', channel);
export const platformLabel = (platform: string | null): string => label('platform', platform);
export const orderStatusLabel = (status: string): string => label('orders.status', status);
export const handOffReasonLabel = (reason: string | null | undefined): string =>
  label('bot.reasons', reason);
export const handOffReasonShort = (reason: string | null | undefined): string =>
  label('bot.reasonsShort', reason);
export const emotionLabel = (emotion: string | null | undefined): string =>
  label('bot.emotions', emotion);
export const botActionLabel = (action: string): string => label('bot.actions', action);
