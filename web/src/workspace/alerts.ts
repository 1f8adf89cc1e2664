/**
 * Supervisor alerts (告警): the API, and the open alerts shared by the top bar's badge and the
 * alerts page, kept current by `noteAlertFrame` from whichever page's live connection is open.
 */
import { computed, reactive, readonly } from 'vue';
import type {
  Alert,
  AlertDetail,
  AlertList,
  AlertSettings,
  AlertSettingsChange,
  EmotionCurve,
  LiveFrame,
  RobotOutcome,
} from '@/shared/types';
import { api } from './session';
import { canSupervise } from './desk';

/** The longest acknowledge / resolve note, in characters (`MAX_NOTE_CHARS`). */
export const MAX_NOTE_CHARS = 500;

function one(id: string): string {
  return `/alerts/${encodeURIComponent(id)}`;
}

export const alertsApi = {
  list(state: 'open' | 'all'): Promise<AlertList> {
    return api.get<AlertList>(`/alerts?state=${state}`);
  },
  get(id: string): Promise<AlertDetail> {
    return api.get<AlertDetail>(one(id));
  },
  acknowledge(id: string, note: string): Promise<AlertDetail> {
    return api.post<AlertDetail>(`${one(id)}/ack`, { note });
  },
  resolve(id: string, note: string): Promise<AlertDetail> {
    return api.post<AlertDetail>(`${one(id)}/resolve`, { note });
  },
  settings(): Promise<AlertSettings> {
    return api.get<AlertSettings>('/settings/alerts');
  },
  saveSettings(change: AlertSettingsChange): Promise<AlertSettings> {
    return api.put<AlertSettings>('/settings/alerts', change);
  },
  test(sink?: 'dingtalk' | 'wecom'): Promise<{ results: RobotOutcome[] }> {
    return api.post<{ results: RobotOutcome[] }>('/settings/alerts/test', sink ? { sink } : {});
  },
  curve(conversationId: string): Promise<{ shopper_curve: EmotionCurve }> {
    return api.get<{ shopper_curve: EmotionCurve }>(
      `/conversations/${encodeURIComponent(conversationId)}/analysis`,
    );
  },
};

const state = reactive<{
  open: Alert[];
  deliverTargetS: number;
  resolveTargetS: number;
  loaded: boolean;
}>({ open: [], deliverTargetS: 180, resolveTargetS: 900, loaded: false });

export const openAlerts = readonly(state);

/** Open alerts, for the badge: how many, and whether any is red. */
export const alertBadge = computed(() => ({
  count: state.open.length,
  red: state.open.some((a) => a.severity === 'red'),
}));

function sortNewestFirst(list: Alert[]): Alert[] {
  return list.sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
}

/** Re-reads the open alerts (on start and on every live `hello`). */
export async function refreshAlerts(): Promise<void> {
  if (!canSupervise()) return;
  const list = await alertsApi.list('open');
  state.open = sortNewestFirst(list.alerts);
  state.deliverTargetS = list.deliver_target_s;
  state.resolveTargetS = list.resolve_target_s;
  state.loaded = true;
}

/** Takes an alert the server pushed or answered with. */
export function upsertAlert(alert: Alert): void {
  const rest = state.open.filter((a) => a.id !== alert.id);
  state.open = alert.state === 'resolved' ? rest : sortNewestFirst([alert, ...rest]);
}

export function noteAlertFrame(frame: LiveFrame): void {
  if (frame.type === 'alert.updated') upsertAlert(frame.alert);
}

/** Milliseconds until (negative: since) a target passes for an alert. */
export function targetLeftMs(alert: Alert, target: 'deliver' | 'resolve', now: number): number {
  const seconds = target === 'deliver' ? state.deliverTargetS : state.resolveTargetS;
  return Date.parse(alert.raised_at) + seconds * 1000 - now;
}
