/**
 * The service desk (routing, SLA clocks, offline messages): its API, the signed-in agent's own
 * status (shared by the top bar's switch on every page), and the rules the screens share with
 * the server (`kefu_server::desk`).
 */
import { reactive, readonly } from 'vue';
import type {
  AgentDesk,
  AgentStatus,
  AgentTier,
  ConversationSummary,
  DeskOverview,
  DisciplineLine,
  LiveFrame,
  ServiceSettings,
  SlaClock,
  StatusResponse,
  TransferInput,
} from '@/shared/types';
import { api, session } from './session';

export const AGENT_STATUSES: readonly AgentStatus[] = ['online', 'busy', 'away', 'offline'];
export const TRANSFER_TIERS: readonly AgentTier[] = ['standard', 'expert', 'crisis'];
/** Quick-pick transfer reasons (message keys under `desk.transfer.quick`). */
export const QUICK_REASONS = ['expert', 'logistics', 'customer', 'afterSales'] as const;
/** Longest transfer reason, in characters (`MAX_REASON_CHARS`). */
export const MAX_REASON_CHARS = 200;
/** Share of a clock's span left at which the countdown turns yellow (the server warns at 80 %). */
export const WARN_LEFT_SHARE = 0.2;

export const deskApi = {
  overview(): Promise<DeskOverview> {
    return api.get<DeskOverview>('/desk');
  },
  myStatus(): Promise<StatusResponse> {
    return api.get<StatusResponse>('/desk/status');
  },
  setMyStatus(status: AgentStatus): Promise<StatusResponse> {
    return api.post<StatusResponse>('/desk/status', { status });
  },
  setAgentStatus(agentId: string, status: AgentStatus): Promise<StatusResponse> {
    return api.post<StatusResponse>(`/desk/agents/${encodeURIComponent(agentId)}/status`, {
      status,
    });
  },
  serviceSettings(): Promise<ServiceSettings> {
    return api.get<ServiceSettings>('/settings/service');
  },
  saveServiceSettings(settings: ServiceSettings): Promise<ServiceSettings> {
    return api.put<ServiceSettings>('/settings/service', settings);
  },
  transfer(conversationId: string, input: TransferInput): Promise<ConversationSummary> {
    return api.post<ConversationSummary>(
      `/conversations/${encodeURIComponent(conversationId)}/transfer`,
      input,
    );
  },
};

export function canSupervise(): boolean {
  const role = session.agent?.role;
  return role === 'supervisor' || role === 'admin';
}

/** Whether the signed-in agent may transfer the conversation (its holder, or a supervisor). */
export function canTransfer(c: ConversationSummary): boolean {
  if (c.state === 'closed') return false;
  return canSupervise() || (!!c.assigned_agent_id && c.assigned_agent_id === session.agent?.id);
}

/* ---- The signed-in agent's own status ---- */

const presenceState = reactive<{
  status: AgentStatus | null;
  loading: boolean;
  saving: boolean;
  error: unknown;
}>({ status: null, loading: false, saving: false, error: null });

export const presence = readonly(presenceState);

/** Reads the agent's status from the desk (there is no narrower endpoint). */
export async function loadMyStatus(): Promise<void> {
  const me = session.agent?.id;
  if (!me || presenceState.loading) return;
  presenceState.loading = true;
  try {
    const mine = await deskApi.myStatus();
    presenceState.status = mine.status;
    presenceState.error = null;
  } catch (err) {
    presenceState.error = err;
  } finally {
    presenceState.loading = false;
  }
}

export async function setMyStatus(status: AgentStatus): Promise<void> {
  presenceState.saving = true;
  presenceState.error = null;
  try {
    const res = await deskApi.setMyStatus(status);
    presenceState.status = res.status;
  } catch (err) {
    presenceState.error = err;
  } finally {
    presenceState.saving = false;
  }
}

/** Keeps the switch current from `agent.status` frames (a supervisor may set it too). */
export function notePresenceFrame(frame: LiveFrame): void {
  if (frame.type === 'agent.status' && frame.agent_id === session.agent?.id) {
    presenceState.status = frame.status;
  }
}

/* ---- Discipline lines (黄线 / 红线): alerts for supervisors ---- */

/** An agent who reached the yellow or red line today, until a supervisor dismisses it. */
export interface LineAlert {
  id: number;
  agentId: string;
  line: DisciplineLine;
  breaches: number;
  /** The supervisor signed in when it came: another sign-in on this tab does not see it. */
  owner: string;
}

/** Alerts kept at most; the oldest go first. */
const MAX_LINE_ALERTS = 5;

const linesState = reactive<{ alerts: LineAlert[]; names: Record<string, string> }>({
  alerts: [],
  names: {},
});
let alertSeq = 0;
let namesLoading = false;

export const lines = readonly(linesState);

/** Remembers agents' names from the desk, for the alerts (frames carry only the id). */
export function noteAgentNames(agents: readonly AgentDesk[]): void {
  for (const a of agents) linesState.names[a.agent.id] = a.agent.display_name;
}

async function loadAgentNames(): Promise<void> {
  if (namesLoading) return;
  namesLoading = true;
  try {
    noteAgentNames((await deskApi.overview()).agents);
  } catch {
    // The alert shows without the name.
  } finally {
    namesLoading = false;
  }
}

/** An `agent.yellow_line` / `agent.red_line` frame: an alert for a supervisor (one per agent). */
export function noteLineFrame(frame: LiveFrame): void {
  if (frame.type !== 'agent.yellow_line' && frame.type !== 'agent.red_line') return;
  const owner = session.agent?.id;
  if (!owner || !canSupervise()) return;
  const line: DisciplineLine = frame.type === 'agent.red_line' ? 'red' : 'yellow';
  alertSeq += 1;
  const alert: LineAlert = {
    id: alertSeq,
    agentId: frame.agent_id,
    line,
    breaches: frame.breaches,
    owner,
  };
  linesState.alerts = [
    ...linesState.alerts.filter((a) => a.agentId !== frame.agent_id),
    alert,
  ].slice(-MAX_LINE_ALERTS);
  if (!(frame.agent_id in linesState.names)) void loadAgentNames();
}

export function dismissLineAlert(id: number): void {
  linesState.alerts = linesState.alerts.filter((a) => a.id !== id);
}

/* ---- SLA countdowns ---- */

export type SlaTone = 'ok' | 'warning' | 'breach';

export interface SlaReading {
  tone: SlaTone;
  /** Milliseconds until the clock breaches (negative once past). */
  leftMs: number;
  offline: boolean;
}

/** How a countdown looks at `now` (server time): yellow after a warning or in its last 20 %. */
export function readSla(sla: SlaClock, now: number): SlaReading {
  const due = Date.parse(sla.due_at);
  const start = Date.parse(sla.started_at);
  const leftMs = due - now;
  const span = Math.max(1, due - start);
  let tone: SlaTone = 'ok';
  if (sla.level === 'breach' || leftMs <= 0) tone = 'breach';
  else if (sla.level === 'warning' || leftMs <= span * WARN_LEFT_SHARE) tone = 'warning';
  return { tone, leftMs, offline: sla.clock === 'offline_reply' };
}
