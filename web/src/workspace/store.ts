/**
 * State of the agent workspace: conversation list, the open conversation and
 * the live connection that keeps both current without reloading.
 */
import { computed, reactive, ref, shallowRef, type InjectionKey } from 'vue';
import { LiveConnection } from '@/shared/live';
import { mergeMessages, timeValue } from '@/shared/format';
import type {
  ConversationDetail,
  ConversationSummary,
  LiveFrame,
  Message,
  Suggestion,
  Suggestions,
} from '@/shared/types';
import { api, session } from './session';
import { noteLineFrame, notePresenceFrame } from './desk';
import { noteAlertFrame, refreshAlerts } from './alerts';

export type ListTab = 'open' | 'closed';

/** A suggested answer the agent chose, on its way into the reply box of its conversation. */
export interface ComposerFill {
  conversationId: string;
  entryId: string;
  text: string;
  /** Distinguishes two clicks on the same suggestion. */
  seq: number;
}

const SEEN_LIMIT = 1000;

function activity(c: ConversationSummary): number {
  return Math.max(timeValue(c.updated_at), timeValue(c.last_message?.at));
}

function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  return activity(b) - activity(a);
}

function inTab(c: ConversationSummary, tab: ListTab): boolean {
  return tab === 'closed' ? c.state === 'closed' : c.state !== 'closed';
}

function seenKey(): string {
  return `kefu.seen.${session.agent?.id ?? 'anonymous'}`;
}

function loadSeen(): Record<string, number> {
  try {
    const raw = localStorage.getItem(seenKey());
    if (!raw) return {};
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const out: Record<string, number> = {};
    for (const [id, at] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof at === 'number') out[id] = at;
    }
    return out;
  } catch {
    return {};
  }
}

export function createWorkspaceStore() {
  const tab = ref<ListTab>('open');
  const conversations = ref<ConversationSummary[]>([]);
  const listLoading = ref(false);
  const listLoaded = ref(false);
  const listError = shallowRef<unknown>(null);

  const selectedId = ref<string | null>(null);
  const detail = ref<ConversationDetail | null>(null);
  const detailLoading = ref(false);
  const detailError = shallowRef<unknown>(null);

  const seen = reactive<Record<string, number>>(loadSeen());
  /** Per conversation, when its latest SLA signal came (the countdown flashes on a change). */
  const slaFlash = reactive<Record<string, number>>({});

  /** Agent assist: the knowledge base's answers to the open conversation's latest shopper message. */
  const suggestions = shallowRef<(Suggestions & { conversationId: string }) | null>(null);
  const suggestionsLoading = ref(false);
  const suggestionsError = shallowRef<unknown>(null);
  const composerFill = shallowRef<ComposerFill | null>(null);
  let suggestionsSeq = 0;
  let fillSeq = 0;
  let suggestionsTimer: ReturnType<typeof setTimeout> | null = null;

  let listSeq = 0;
  let detailSeq = 0;
  let listRefreshTimer: ReturnType<typeof setTimeout> | null = null;
  let detailRefreshTimer: ReturnType<typeof setTimeout> | null = null;

  function saveSeen(): void {
    const entries = Object.entries(seen);
    if (entries.length > SEEN_LIMIT) {
      entries.sort((a, b) => a[1] - b[1]);
      for (const [id] of entries.slice(0, entries.length - SEEN_LIMIT)) delete seen[id];
    }
    try {
      localStorage.setItem(seenKey(), JSON.stringify(seen));
    } catch {
      // storage unavailable: unread state lasts for this page only
    }
  }

  function markSeen(id: string, at: string | null | undefined): void {
    const value = timeValue(at);
    if (value > (seen[id] ?? 0)) {
      seen[id] = value;
      saveSeen();
    }
  }

  const unread = computed(() => {
    const ids = new Set<string>();
    for (const c of conversations.value) {
      const last = c.last_message;
      if (!last || last.sender !== 'shopper' || c.id === selectedId.value) continue;
      if (timeValue(last.at) > (seen[c.id] ?? 0)) ids.add(c.id);
    }
    return ids;
  });

  function sortList(): void {
    conversations.value = [...conversations.value].sort(byActivity);
  }

  function upsertSummary(summary: ConversationSummary): void {
    const list = conversations.value;
    const index = list.findIndex((c) => c.id === summary.id);
    const belongs = inTab(summary, tab.value);
    if (index >= 0 && !belongs) {
      conversations.value = list.filter((c) => c.id !== summary.id);
    } else if (index >= 0) {
      const current = list[index]!;
      const merged = { ...summary };
      // Keep a newer last message we may already have from a message frame.
      if (
        current.last_message &&
        timeValue(current.last_message.at) > timeValue(merged.last_message?.at)
      ) {
        merged.last_message = current.last_message;
      }
      const next = [...list];
      next[index] = merged;
      conversations.value = next.sort(byActivity);
    } else if (belongs) {
      conversations.value = [...list, summary].sort(byActivity);
    }
    if (detail.value && detail.value.conversation.id === summary.id) {
      detail.value = { ...detail.value, conversation: summary };
    }
  }

  async function loadList(): Promise<void> {
    const seq = ++listSeq;
    const requestedTab = tab.value;
    listLoading.value = true;
    try {
      const res = await api.get<{ items: ConversationSummary[] }>(
        `/conversations?state=${requestedTab}`,
      );
      if (seq !== listSeq) return;
      conversations.value = [...res.items].sort(byActivity);
      listError.value = null;
      listLoaded.value = true;
    } catch (err) {
      if (seq === listSeq) listError.value = err;
    } finally {
      if (seq === listSeq) listLoading.value = false;
    }
  }

  function scheduleListRefresh(): void {
    if (listRefreshTimer) return;
    listRefreshTimer = setTimeout(() => {
      listRefreshTimer = null;
      void loadList();
    }, 150);
  }

  async function loadSuggestions(id: string): Promise<void> {
    const seq = ++suggestionsSeq;
    suggestionsLoading.value = true;
    try {
      const res = await api.get<Suggestions>(
        `/conversations/${encodeURIComponent(id)}/suggestions`,
      );
      if (seq !== suggestionsSeq || selectedId.value !== id) return;
      suggestions.value = { ...res, conversationId: id };
      suggestionsError.value = null;
    } catch (err) {
      if (seq === suggestionsSeq && selectedId.value === id) suggestionsError.value = err;
    } finally {
      if (seq === suggestionsSeq) suggestionsLoading.value = false;
    }
  }

  /** A new shopper message in the open conversation: new suggestions for it. */
  function scheduleSuggestions(messageId: string): void {
    const current = suggestions.value;
    if (current && current.conversationId === selectedId.value && current.message_id === messageId) {
      return;
    }
    if (suggestionsTimer) clearTimeout(suggestionsTimer);
    suggestionsTimer = setTimeout(() => {
      suggestionsTimer = null;
      if (selectedId.value) void loadSuggestions(selectedId.value);
    }, 200);
  }

  /** Puts a suggestion's answer into the reply box of the open conversation (not sent). */
  function useSuggestion(suggestion: Suggestion): void {
    const id = selectedId.value;
    if (!id) return;
    fillSeq += 1;
    composerFill.value = {
      conversationId: id,
      entryId: suggestion.entry_id,
      text: suggestion.answer,
      seq: fillSeq,
    };
  }

  /** The agent sent an answer that came from a suggestion: one more use of its entry. */
  async function suggestionUsed(entryId: string): Promise<void> {
    try {
      await api.post<{ hits: number }>(`/knowledge/${encodeURIComponent(entryId)}/used`);
    } catch {
      // A statistic only: the reply itself was sent.
    }
  }

  /** Re-reads the open conversation soon (its bot turns are not pushed live). */
  function scheduleDetailRefresh(): void {
    if (detailRefreshTimer) return;
    detailRefreshTimer = setTimeout(() => {
      detailRefreshTimer = null;
      if (selectedId.value) void loadDetail(selectedId.value, true);
    }, 250);
  }

  async function setTab(next: ListTab): Promise<void> {
    if (tab.value === next) return;
    tab.value = next;
    conversations.value = [];
    listLoaded.value = false;
    await loadList();
  }

  async function loadDetail(id: string, keepExisting: boolean): Promise<void> {
    const seq = ++detailSeq;
    detailLoading.value = !keepExisting;
    try {
      const res = await api.get<ConversationDetail>(`/conversations/${encodeURIComponent(id)}`);
      if (seq !== detailSeq || selectedId.value !== id) return;
      const previous = detail.value && detail.value.conversation.id === id ? detail.value : null;
      detail.value = {
        ...res,
        messages: mergeMessages(previous?.messages ?? [], res.messages),
      };
      detailError.value = null;
      const last = detail.value.messages[detail.value.messages.length - 1];
      markSeen(id, last?.at ?? res.conversation.last_message?.at);
    } catch (err) {
      if (seq === detailSeq && selectedId.value === id) detailError.value = err;
    } finally {
      if (seq === detailSeq) detailLoading.value = false;
    }
  }

  async function select(id: string): Promise<void> {
    if (selectedId.value === id && detail.value) return;
    selectedId.value = id;
    detail.value = null;
    detailError.value = null;
    suggestions.value = null;
    suggestionsError.value = null;
    const summary = conversations.value.find((c) => c.id === id);
    markSeen(id, summary?.last_message?.at);
    void loadSuggestions(id);
    await loadDetail(id, false);
  }

  function applyMessage(conversationId: string, message: Message): void {
    if (detail.value && detail.value.conversation.id === conversationId) {
      detail.value = {
        ...detail.value,
        messages: mergeMessages(detail.value.messages, [message]),
      };
      markSeen(conversationId, message.at);
      if (message.sender === 'bot') scheduleDetailRefresh();
      if (message.sender === 'shopper') scheduleSuggestions(message.id);
    }
    const list = conversations.value;
    const index = list.findIndex((c) => c.id === conversationId);
    if (index < 0) {
      if (tab.value === 'open') scheduleListRefresh();
      return;
    }
    const current = list[index]!;
    if (timeValue(message.at) >= timeValue(current.last_message?.at)) {
      const next = [...list];
      next[index] = {
        ...current,
        last_message: { text: message.text, sender: message.sender, at: message.at },
        updated_at:
          timeValue(message.at) > timeValue(current.updated_at) ? message.at : current.updated_at,
      };
      conversations.value = next;
      sortList();
    }
  }

  /** Sends a reply; the stored message comes back with what the lint recorded on it. */
  async function sendReply(text: string): Promise<Message | null> {
    const id = selectedId.value;
    if (!id) return null;
    const message = await api.post<Message>(
      `/conversations/${encodeURIComponent(id)}/messages`,
      { text },
    );
    applyMessage(message.conversation_id || id, message);
    return message;
  }

  async function closeSelected(): Promise<void> {
    const id = selectedId.value;
    if (!id) return;
    const summary = await api.post<ConversationSummary>(
      `/conversations/${encodeURIComponent(id)}/close`,
    );
    upsertSummary(summary);
  }

  function onFrame(frame: LiveFrame): void {
    switch (frame.type) {
      case 'message.created':
        applyMessage(frame.conversation_id || frame.message.conversation_id, frame.message);
        break;
      case 'conversation.updated':
        upsertSummary(frame.conversation);
        break;
      case 'sla.signal':
        slaFlash[frame.conversation_id] = Date.now();
        // The conversation.updated frame with the new level follows; re-read if it was missed.
        if (!conversations.value.some((c) => c.id === frame.conversation_id)) scheduleListRefresh();
        break;
      case 'agent.status':
        notePresenceFrame(frame);
        break;
      case 'agent.yellow_line':
      case 'agent.red_line':
        noteLineFrame(frame);
        break;
      case 'alert.updated':
        noteAlertFrame(frame);
        break;
      default:
        break;
    }
  }

  /** After (re)connecting: fetch everything again so no event is missed. */
  function onReady(): void {
    void loadList();
    refreshAlerts().catch(() => undefined);
    if (selectedId.value) {
      void loadDetail(selectedId.value, true);
      void loadSuggestions(selectedId.value);
    }
  }

  const live = new LiveConnection(() => session.token, { onFrame, onReady });

  function start(): void {
    void loadList();
    live.start();
  }

  function stop(): void {
    live.stop();
    if (listRefreshTimer) {
      clearTimeout(listRefreshTimer);
      listRefreshTimer = null;
    }
    if (detailRefreshTimer) {
      clearTimeout(detailRefreshTimer);
      detailRefreshTimer = null;
    }
    if (suggestionsTimer) {
      clearTimeout(suggestionsTimer);
      suggestionsTimer = null;
    }
  }

  return {
    tab,
    conversations,
    listLoading,
    listLoaded,
    listError,
    selectedId,
    detail,
    detailLoading,
    detailError,
    unread,
    slaFlash,
    suggestions,
    suggestionsLoading,
    suggestionsError,
    composerFill,
    liveStatus: live.status,
    setTab,
    select,
    sendReply,
    closeSelected,
    applySummary: upsertSummary,
    useSuggestion,
    suggestionUsed,
    reloadSuggestions: () =>
      selectedId.value ? loadSuggestions(selectedId.value) : Promise.resolve(),
    reloadList: loadList,
    reloadDetail: () => (selectedId.value ? loadDetail(selectedId.value, true) : Promise.resolve()),
    start,
    stop,
  };
}

export type WorkspaceStore = ReturnType<typeof createWorkspaceStore>;

export const workspaceKey: InjectionKey<WorkspaceStore> = Symbol('workspace');
