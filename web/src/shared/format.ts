import { ref } from 'vue';
import { i18n } from './i18n';

/** A clock ticking every 30 s so relative times re-render. */
export const now = ref(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 30_000);

const yuan = new Intl.NumberFormat('zh-CN', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** 1234 fen → "¥12.34". */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  return `${sign}¥${yuan.format(Math.abs(fen) / 100)}`;
}

/** 0.873 → "87%"; small values keep a decimal: 0.004 → "0.4%". */
export function percent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '';
  const v = p * 100;
  return `${v > 0 && v < 10 ? v.toFixed(1) : Math.round(v).toString()}%`;
}

/** Number of Unicode code points, matching the server's character count. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function parse(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function sameDay(a: Date, b: Date): boolean {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

/** "14:05" today, "昨天 14:05", "03-18 14:05" this year, else "2023-03-18 14:05". */
export function formatTime(iso: string, reference: number = now.value): string {
  const d = parse(iso);
  if (!d) return '';
  const ref = new Date(reference);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (sameDay(d, ref)) return hm;
  const yesterday = new Date(ref);
  yesterday.setDate(ref.getDate() - 1);
  if (sameDay(d, yesterday)) return `${i18n.global.t('time.yesterday')} ${hm}`;
  const md = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (d.getFullYear() === ref.getFullYear()) return `${md} ${hm}`;
  return `${d.getFullYear()}-${md} ${hm}`;
}

/** Full local date and time: "2024-03-18 14:05". */
export function formatDateTime(iso: string | null): string {
  if (!iso) return '';
  const d = parse(iso);
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Short relative time for lists: 刚刚 / 5分钟前 / 3小时前 / 昨天 / 03-18. */
export function formatRelative(iso: string, reference: number = now.value): string {
  const d = parse(iso);
  if (!d) return '';
  const t = i18n.global.t;
  const diff = reference - d.getTime();
  if (diff < 60_000) return t('time.justNow');
  if (diff < 3_600_000) return t('time.minutesAgo', { n: Math.floor(diff / 60_000) });
  const ref = new Date(reference);
  if (sameDay(d, ref)) return t('time.hoursAgo', { n: Math.floor(diff / 3_600_000) });
  const yesterday = new Date(ref);
  yesterday.setDate(ref.getDate() - 1);
  if (sameDay(d, yesterday)) return t('time.yesterday');
  const md = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (d.getFullYear() === ref.getFullYear()) return md;
  return `${d.getFullYear()}-${md}`;
}

/** Milliseconds since epoch for sorting; unparsable timestamps sort first. */
export function timeValue(iso: string | null | undefined): number {
  if (!iso) return 0;
  const v = Date.parse(iso);
  return Number.isNaN(v) ? 0 : v;
}

/** Messages sorted by time, then id; duplicates (same id) removed, later copy wins. */
export function mergeMessages<M extends { id: string; at: string }>(
  existing: readonly M[],
  incoming: readonly M[],
): M[] {
  const byId = new Map<string, M>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => {
    const dt = timeValue(a.at) - timeValue(b.at);
    if (dt !== 0) return dt;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** A countdown or a time waited: "04:05", or "1:02:03" from an hour on. Negative counts as 0. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

/** A due time for short labels: "今天 10:00", "明天 10:00", "12-03 10:00", "2027-01-03 10:00". */
export function formatDue(iso: string, reference: number = now.value): string {
  const d = parse(iso);
  if (!d) return '';
  const t = i18n.global.t;
  const ref = new Date(reference);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (sameDay(d, ref)) return `${t('time.today')} ${hm}`;
  const tomorrow = new Date(ref);
  tomorrow.setDate(ref.getDate() + 1);
  if (sameDay(d, tomorrow)) return `${t('time.tomorrow')} ${hm}`;
  const md = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (d.getFullYear() === ref.getFullYear()) return `${md} ${hm}`;
  return `${d.getFullYear()}-${md} ${hm}`;
}
