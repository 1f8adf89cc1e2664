/**
 * The service desk (routing, SLA clocks, offline messages): its API, the signed-in agent's own
 * status (shared by the top bar's switch on every page), and the rules the screens share with
 * the server (`kefu_server::desk`).
 */
import { reactive, readonly } from 'vue';
import type {
  AgentStatus,
  AgentTier,
  ConversationSummary,
  DeskOverview,
  LiveFrame,
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
