/**
 * The live lint of the reply box: what the server's check found in the reply as typed, and
 * how to show it. Checks are coalesced rather than delayed: at most one is in flight, and when
 * it returns while the agent kept typing, the latest text is checked at once. So a pause in
 * typing is followed by one round trip, not by a fixed debounce.
 */
import { ref, watch, type Ref } from 'vue';
import { api } from './session';

export type LintLabel = 'forbidden_phrase' | 'unauthorized_promise' | 'sensitive' | 'personal_data';

export interface Finding {
  label: LintLabel;
  /** Stable rule name, e.g. `forbidden.refusal`, `promise.compensation`. */
  rule: string;
  /** Code-point offsets into the text, `[start, end)`. */
  start: number;
  end: number;
  /** Why (zh-CN). */
  reason: string;
  /** A better phrasing for a forbidden phrase. */
  suggestion?: string;
}

interface LintResponse {
  findings: Finding[];
  checked_us: number;
}

/** A stretch of the text: plain, or flagged by the first finding that covers it. */
export interface Segment {
  text: string;
  finding: Finding | null;
}

/** The text cut into plain and flagged stretches, by code point (emoji count as one). */
export function segments(text: string, findings: Finding[]): Segment[] {
  const chars = Array.from(text);
  const owner: (Finding | null)[] = chars.map(() => null);
  for (const f of findings) {
    for (let i = Math.max(0, f.start); i < Math.min(chars.length, f.end); i++) {
      if (!owner[i]) owner[i] = f;
    }
  }
  const out: Segment[] = [];
  for (let i = 0; i < chars.length; i++) {
    const last = out[out.length - 1];
    if (last && last.finding === owner[i]) last.text += chars[i];
    else out.push({ text: chars[i] ?? '', finding: owner[i] ?? null });
  }
  return out;
}

/** The flagged words of a finding. */
export function excerpt(text: string, f: Finding): string {
  return Array.from(text).slice(f.start, f.end).join('');
}

/** The text with a finding's words replaced by its better phrasing. */
export function applySuggestion(text: string, f: Finding): string {
  if (!f.suggestion) return text;
  const chars = Array.from(text);
  return [...chars.slice(0, f.start), f.suggestion, ...chars.slice(f.end)].join('');
}

/** The findings for `text`, kept current as it changes; `lintedText` is what they describe. */
export function useLint(text: Ref<string>) {
  const findings = ref<Finding[]>([]);
  const lintedText = ref('');
  let inFlight = false;
  let again = false;

  async function check(): Promise<void> {
    if (inFlight) {
      again = true;
      return;
    }
    const body = text.value;
    if (body.trim() === '') {
      findings.value = [];
      lintedText.value = body;
      return;
    }
    inFlight = true;
    try {
      const res = await api.post<LintResponse>('/lint', { text: body });
      if (text.value === body) {
        findings.value = res.findings;
        lintedText.value = body;
      }
    } catch {
      // The lint is advice: a failed check leaves the reply box as it is and the send still
      // runs the same check on the server.
      if (text.value === body) {
        findings.value = [];
        lintedText.value = body;
      }
    } finally {
      inFlight = false;
      if (again || text.value !== body) {
        again = false;
        void check();
      }
    }
  }

  watch(text, () => void check(), { immediate: true });
  return { findings, lintedText };
}
