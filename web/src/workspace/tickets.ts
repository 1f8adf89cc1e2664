/** Tickets (工单): the API and the rules the page shares with the server (`kefu_domain::ticket`). */
import type {
  Department,
  NewTicket,
  Ticket,
  TicketDetail,
  TicketKind,
  TicketList,
  TicketStatus,
} from '@/shared/types';
import { api, session } from './session';

export const TICKET_KINDS: readonly TicketKind[] = [
  'refund_check',
  'lost_parcel',
  'quality_claim',
  'other',
];
export const DEPARTMENTS: readonly Department[] = ['logistics', 'warehouse', 'after_sales', 'finance'];
export type StatusFilter = 'active' | TicketStatus | 'all';
export const STATUS_FILTERS: readonly StatusFilter[] = [
  'active',
  'open',
  'in_progress',
  'resolved',
  'closed',
  'all',
];
/** The longest title, in characters (`MAX_TITLE_CHARS`). */
export const MAX_TITLE_CHARS = 100;

export interface TicketQuery {
  status: StatusFilter;
  department: Department | '';
  mine: boolean;
  overdue: boolean;
}

function one(id: string): string {
  return `/tickets/${encodeURIComponent(id)}`;
}

export const ticketsApi = {
  list(q: TicketQuery): Promise<TicketList> {
    const params = new URLSearchParams({ status: q.status });
    if (q.department) params.set('department', q.department);
    if (q.mine) params.set('mine', 'true');
    if (q.overdue) params.set('overdue', 'true');
    return api.get<TicketList>(`/tickets?${params.toString()}`);
  },
  get(id: string): Promise<TicketDetail> {
    return api.get<TicketDetail>(one(id));
  },
  create(input: NewTicket): Promise<TicketDetail> {
    return api.post<TicketDetail>('/tickets', input);
  },
  assign(id: string, department: Department, dueAt: string): Promise<TicketDetail> {
    return api.post<TicketDetail>(`${one(id)}/department`, { department, due_at: dueAt });
  },
  note(id: string, text: string): Promise<TicketDetail> {
    return api.post<TicketDetail>(`${one(id)}/notes`, { text });
  },
  resolve(id: string, note = ''): Promise<TicketDetail> {
    return api.post<TicketDetail>(`${one(id)}/resolve`, { note });
  },
  close(id: string, confirmed: boolean, note: string): Promise<TicketDetail> {
    return api.post<TicketDetail>(`${one(id)}/close`, { confirmed_with_shopper: confirmed, note });
  },
  reopen(id: string, reason: string): Promise<TicketDetail> {
    return api.post<TicketDetail>(`${one(id)}/reopen`, { reason });
  },
  handOver(id: string, agent: string, reason = ''): Promise<TicketDetail> {
    return api.post<TicketDetail>(`${one(id)}/owner`, { agent, reason });
  },
};

/** What the server allows from each status (`kefu_domain::ticket`). */
export function canAssign(t: Ticket): boolean {
  return t.status !== 'closed';
}
export function canResolve(t: Ticket): boolean {
  return t.status === 'in_progress';
}
export function canClose(t: Ticket): boolean {
  return t.status !== 'closed' && t.owner.id === session.agent?.id;
}
export function canReopen(t: Ticket): boolean {
  return t.status === 'closed';
}
export function canHandOver(): boolean {
  const role = session.agent?.role;
  return role === 'supervisor' || role === 'admin';
}

/** `<input type="datetime-local">` value (local time) → RFC 3339 in UTC, or null if empty/invalid. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A local `datetime-local` value `hours` from now, rounded to the minute. */
export function localInputIn(hours: number, from: number = Date.now()): string {
  const d = new Date(from + hours * 3_600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** #0007 */
export function ticketNumber(n: number): string {
  return `#${String(n).padStart(4, '0')}`;
}
