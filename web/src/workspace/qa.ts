/** Conversation QA (质检): the API and what the card and the page share. */
import type {
  QaAppealList,
  QaAppealStatus,
  QaItemName,
  QaScore,
  QaScoreList,
} from '@/shared/types';
import { api, session } from './session';

export const QA_ITEMS: readonly QaItemName[] = [
  'timeliness',
  'forbidden_phrases',
  'promises',
  'politeness',
  'resolution',
  'emotion',
];

/** The longest comment or reason, in characters (`MAX_TEXT_CHARS`). */
export const MAX_QA_TEXT_CHARS = 500;

/** Supervisors and admins review scores and decide appeals. */
export function supervises(): boolean {
  const role = session.agent?.role;
  return role === 'supervisor' || role === 'admin';
}

/** A score's colour band: good from 85, fair from 60. */
export function band(score: number): 'good' | 'fair' | 'poor' {
  if (score >= 85) return 'good';
  if (score >= 60) return 'fair';
  return 'poor';
}

export interface ScoreQuery {
  agent: string;
  /** `YYYY-MM-DD`, shop time. */
  from: string;
  to: string;
}

function conversation(id: string): string {
  return `/conversations/${encodeURIComponent(id)}/qa`;
}

export const qaApi = {
  get(conversationId: string): Promise<QaScore> {
    return api.get<QaScore>(conversation(conversationId));
  },
  review(conversationId: string, item: QaItemName, score: number, comment: string): Promise<QaScore> {
    return api.post<QaScore>(`${conversation(conversationId)}/reviews`, { item, score, comment });
  },
  appeal(conversationId: string, item: QaItemName, reason: string): Promise<QaScore> {
    return api.post<QaScore>(`${conversation(conversationId)}/appeal`, { item, reason });
  },
  decide(
    appealId: string,
    decision: 'accept' | 'reject',
    comment: string,
    score?: number,
  ): Promise<QaScore> {
    const body: Record<string, unknown> = { decision, comment };
    if (decision === 'accept') body.score = score;
    return api.post<QaScore>(`/qa/appeals/${encodeURIComponent(appealId)}/decision`, body);
  },
  scores(q: ScoreQuery): Promise<QaScoreList> {
    const params = new URLSearchParams();
    if (q.agent) params.set('agent', q.agent);
    if (q.from) params.set('from', q.from);
    if (q.to) params.set('to', q.to);
    const query = params.toString();
    return api.get<QaScoreList>(query ? `/qa/scores?${query}` : '/qa/scores');
  },
  appeals(state: QaAppealStatus | 'all' = 'open'): Promise<QaAppealList> {
    return api.get<QaAppealList>(`/qa/appeals?state=${state}`);
  },
};
