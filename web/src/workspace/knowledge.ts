/** The knowledge base (知识库) API and the rules the admin page shares with it. */
import type {
  BotSettings,
  EntryInput,
  EntryStatus,
  KnowledgeEntry,
  KnowledgeImportResult,
  KnowledgeList,
  KnowledgeSearchResult,
  ProposalList,
  RetirementList,
} from '@/shared/types';
import { api, session } from './session';

export { percent } from '@/shared/format';

export const ENTRY_STATUSES: readonly EntryStatus[] = ['draft', 'in_review', 'published', 'retired'];

export type FileFormat = 'xlsx' | 'csv' | 'jsonl';
export const FILE_FORMATS: readonly FileFormat[] = ['xlsx', 'csv', 'jsonl'];

const CONTENT_TYPES: Record<FileFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl',
};

/** A lifecycle step the editor offers: the target status and the label key of its button. */
export interface LifecycleStep {
  to: EntryStatus;
  action: 'submit' | 'publish' | 'reject' | 'retire' | 'unpublish' | 'revive';
}

/** The steps the server allows from each status (`EntryStatus::can_become`). */
const STEPS: Record<EntryStatus, LifecycleStep[]> = {
  draft: [
    { to: 'in_review', action: 'submit' },
    { to: 'published', action: 'publish' },
  ],
  in_review: [
    { to: 'published', action: 'publish' },
    { to: 'draft', action: 'reject' },
  ],
  published: [
    { to: 'retired', action: 'retire' },
    { to: 'draft', action: 'unpublish' },
  ],
  retired: [{ to: 'draft', action: 'revive' }],
};

export function nextSteps(status: EntryStatus): LifecycleStep[] {
  return STEPS[status] ?? [];
}

/** Only drafts and retired entries may be deleted. */
export function canDelete(status: EntryStatus): boolean {
  return status === 'draft' || status === 'retired';
}

/** The variables an answer may use (`kefu_knowledge::template::VARIABLES`); `label` is an i18n key. */
export const ANSWER_VARIABLES: readonly { name: string; label: string }[] = [
  { name: 'order.no', label: 'kb.vars.no' },
  { name: 'order.status', label: 'kb.vars.status' },
  { name: 'order.carrier', label: 'kb.vars.carrier' },
  { name: 'order.tracking_no', label: 'kb.vars.tracking_no' },
  { name: 'order.shipped_at', label: 'kb.vars.shipped_at' },
  { name: 'order.paid_at', label: 'kb.vars.paid_at' },
];

/** Supervisors and admins edit the knowledge base; everyone else reads and tests it. */
export function canEditKnowledge(): boolean {
  const role = session.agent?.role;
  return role === 'supervisor' || role === 'admin';
}

/** "a, b，c" → ["a", "b", "c"] (ASCII or full-width commas, or 、). */
export function splitList(text: string): string[] {
  return text
    .split(/[,，、]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** One item per non-blank line. */
export function splitLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}


/** The format of a file by its name, or null when it is none the server reads. */
export function formatOfFile(name: string): FileFormat | null {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (ext === 'xlsx' || ext === 'xlsm') return 'xlsx';
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson' || ext === 'json') return 'jsonl';
  return null;
}

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

const entryPath = (id: string) => `/knowledge/${encodeURIComponent(id)}`;
const proposalPath = (id: string) => `/knowledge/proposals/${encodeURIComponent(id)}`;

export const knowledgeApi = {
  list: (filters: { q?: string; tag?: string | null; status?: EntryStatus | null }) =>
    api.get<KnowledgeList>(
      `/knowledge${query({ q: filters.q?.trim(), tag: filters.tag, status: filters.status })}`,
    ),
  get: (id: string) => api.get<KnowledgeEntry>(entryPath(id)),
  create: (input: EntryInput) => api.post<KnowledgeEntry>('/knowledge', input),
  update: (id: string, input: EntryInput) => api.put<KnowledgeEntry>(entryPath(id), input),
  setStatus: (id: string, status: EntryStatus, version: number) =>
    api.post<KnowledgeEntry>(`${entryPath(id)}/status`, { status, version }),
  remove: (id: string, version: number) =>
    api.delete<null>(`${entryPath(id)}${query({ version })}`),
  search: (text: string, limit = 5) =>
    api.post<KnowledgeSearchResult>('/knowledge/search', { text, limit }),
  importFile: (file: File, format: FileFormat, status: 'draft' | 'published') =>
    api.upload<KnowledgeImportResult>(
      `/knowledge/import${query({ format, status })}`,
      file,
      CONTENT_TYPES[format],
    ),
  exportFile: (format: FileFormat) => api.download(`/knowledge/export${query({ format })}`),
  proposals: () => api.get<ProposalList>('/knowledge/proposals'),
  refreshProposals: () => api.post<ProposalList>('/knowledge/proposals/refresh'),
  /** Creates the entry (published unless `input.status` says otherwise) and closes the proposal. */
  approveProposal: (id: string, input: EntryInput) =>
    api.post<KnowledgeEntry>(`${proposalPath(id)}/approve`, input),
  dismissProposal: (id: string) =>
    api.post<{ id: string; status: 'dismissed' }>(`${proposalPath(id)}/dismiss`),
  retirement: () => api.get<RetirementList>('/knowledge/retirement'),
  settings: () => api.get<BotSettings>('/settings/bot'),
  saveSettings: (settings: BotSettings) => api.put<BotSettings>('/settings/bot', settings),
};

/** Saves a blob under a name through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke after the browser has taken the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
