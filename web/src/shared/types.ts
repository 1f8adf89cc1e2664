/** Types mirroring the kefu JSON API (/api/v1). Timestamps are RFC 3339 UTC strings. */

export type Sender = 'shopper' | 'bot' | 'agent' | 'system';
export type ConversationState = 'bot' | 'queued' | 'assigned' | 'waiting' | 'closed';
export type ConversationTier = 'bot' | 'standard' | 'expert' | 'crisis';
export type Channel = 'widget' | 'webhook' | 'api';
export type AgentRole = 'agent' | 'expert' | 'supervisor' | 'admin';
export type AgentTier = 'standard' | 'expert' | 'crisis';
export type OrderStatus =
  | 'unpaid'
  | 'paid'
  | 'shipped'
  | 'received'
  | 'refunding'
  | 'refunded'
  | 'closed';

export interface Agent {
  id: string;
  username: string;
  display_name: string;
  role: AgentRole;
  tier: AgentTier;
  skill_groups: string[];
  max_concurrent: number;
}

export interface Shop {
  id: string;
  slug: string;
  name: string;
}

export interface LoginResponse {
  token: string;
  expires_at: string;
  agent: Agent;
  shop: Shop;
}

export interface MeResponse {
  agent: Agent;
  shop: Shop;
}

export interface Message {
  id: string;
  conversation_id: string;
  sender: Sender;
  agent_id: string | null;
  text: string;
  at: string;
  /** For a bot reply: what it was (only answers can be rated). */
  bot_action?: 'answer' | 'clarify' | 'hand_off';
  /** For a rated bot answer: the shopper's verdict. */
  helpful?: boolean;
  /** For an agent's reply just sent: what the live lint recorded on it. */
  lint?: { label: string; rule: string; start: number; end: number; reason: string }[];
}

export interface LastMessage {
  text: string;
  sender: Sender;
  at: string;
}

export interface ConversationCustomer {
  id: string;
  nickname: string;
  vip_level: number;
}

/** Why the bot gave a conversation to people. */
export type HandOffReason =
  | 'customer_request'
  | 'human_only_topic'
  | 'negative_emotion'
  | 'repeated_miss'
  | 'low_confidence'
  | 'vip'
  | 'bot_error';

/** What the agent who takes over needs at a glance. */
export interface HandOffSummary {
  /** What the shopper asks about: a sensitive category, or the closest entry's tag or question. */
  topic: string | null;
  /** The shopper's last message before the hand-off. */
  question: string;
  /** `anger`, `anxiety`, `disappointment`, `satisfaction`, `gratitude`, if one was read. */
  emotion: string | null;
  /** The shopper's latest order: number and status (`TB2026… · 已发货`). */
  order: string | null;
}

export interface HandOff {
  reason: HandOffReason;
  summary: HandOffSummary;
}

export interface ConversationSummary {
  id: string;
  state: ConversationState;
  tier: ConversationTier;
  channel: Channel;
  platform: string | null;
  assigned_agent_id: string | null;
  customer: ConversationCustomer;
  last_message: LastMessage | null;
  created_at: string;
  updated_at: string;
  /** Set once the bot handed the conversation to people; absent from older servers. */
  hand_off?: HandOff | null;
  /** While it waits for a person (queued); absent from older servers. */
  waiting?: Waiting | null;
  /** The clock counting down while the shopper waits for a reply; absent from older servers. */
  sla?: SlaClock | null;
  /** Made more urgent because the shopper's emotion escalated (情绪升级). */
  escalation?: Escalation | null;
}

export type RaiseReason = 'negative_words' | 'strong_negative_turn';

/** 情绪升级: the priority the conversation was raised to, why and when. */
export interface Escalation {
  priority: Priority;
  reason: RaiseReason;
  at: string;
}

/* ---- Routing, SLA clocks and the service desk (队列) ---- */

export type AgentStatus = 'online' | 'busy' | 'away' | 'offline';
export type Priority = 'normal' | 'complaint' | 'vip' | 'human_only' | 'crisis';
export type SendBackReason = 'silent' | 'offline';
export type SlaClockKind = 'first_response' | 'reply_interval' | 'three_minute' | 'offline_reply';
export type SlaLevel = 'warning' | 'breach';

/** A conversation waiting for a person: its queue, and whether an agent lost it (退回). */
export interface Waiting {
  tier: AgentTier;
  priority: Priority;
  skill?: string;
  /** An offline message's (留言) reply is due by then. */
  due?: string;
  sent_back?: { agent: string; reason: SendBackReason };
  since: string;
}

/** An SLA countdown: `due_at` is when it breaches. */
export interface SlaClock {
  clock: SlaClockKind;
  started_at: string;
  due_at: string;
  level: SlaLevel | null;
}

export interface AgentDesk {
  agent: Agent;
  status: AgentStatus;
  since: string;
  /** Conversations held now. */
  active: number;
  breaches_today: number;
  /** Reached the shop's daily breach line (红线). */
  flagged: boolean;
  /** The discipline line reached today: yellow (a first warning) or red (= flagged). */
  line: DisciplineLine | null;
}

export type DisciplineLine = 'yellow' | 'red';

export interface WaitingEntry {
  conversation_id: string;
  customer: ConversationCustomer;
  priority: Priority;
  since: string;
  sent_back: SendBackReason | null;
  due: string | null;
}

export interface DeskQueue {
  tier: AgentTier;
  skill: string | null;
  /** Seats of the queue's online agents. */
  capacity: number;
  /** Next first. */
  waiting: WaitingEntry[];
}

/** An offline message (留言) not answered yet. */
export interface OfflineMessage {
  conversation_id: string;
  customer: ConversationCustomer;
  left_at: string;
  due: string;
  holder: string | null;
  /** Past due: escalated to the supervisor. */
  overdue: boolean;
}

export interface DeskToday {
  warnings: number;
  breaches: number;
  reached_people: number;
  transferred: number;
  transfer_rate: number | null;
  sent_back: number;
}

export interface DeskOverview {
  agents: AgentDesk[];
  queues: DeskQueue[];
  offline: OfflineMessage[];
  today: DeskToday;
  /** Breaches in a day that flag an agent (红线). */
  red_line: number;
  /** Breaches in a day that warn first (黄线); below the red line. */
  yellow_line: number;
}

/** A staffed window on some weekdays (1 = Monday … 7 = Sunday), `HH:MM` shop time. */
export interface Shift {
  days: number[];
  from: string;
  /** May be `24:00`. */
  to: string;
}

export interface ServiceHours {
  shifts: Shift[];
  /** Days off, `YYYY-MM-DD`. */
  holidays: string[];
  /** When offline messages (留言) are due on the next staffed day, `HH:MM`. */
  offline_due: string;
}

export interface SkillTopics {
  skill: string;
  topics: string[];
}

/** The shop's service rules (`GET/PUT /settings/service`). */
export interface ServiceSettings {
  first_response_s: number;
  reply_interval_s: number;
  three_minute_s: number;
  /** Shop-time hours the 3-minute target is counted in, [from, to). */
  counted_from_hour: number;
  counted_to_hour: number;
  /** Share of a target at which the agent is warned (0.8). */
  warn_share: number;
  silence_limit_s: number;
  /** Red line. */
  breaches_per_day: number;
  /** Yellow line, below the red. */
  yellow_breaches_per_day: number;
  average_handle_s: number;
  hours: ServiceHours;
  skills: SkillTopics[];
}

export interface StatusResponse {
  agent_id: string;
  status: AgentStatus;
}

export interface TransferInput {
  to_agent?: string;
  to_tier?: AgentTier;
  to_skill?: string;
  reason: string;
}

/** The waiting shopper's place in the queue (`GET /widget/queue`). */
export interface WidgetQueue {
  waiting: boolean;
  /** 0 = next. */
  position: number | null;
  /** Null while nobody who could take it is online. */
  estimated_wait_ms: number | null;
  /** An offline message's reply is due by then. */
  due: string | null;
}

export interface Customer {
  id: string;
  external_id: string;
  nickname: string;
  phone_masked: string | null;
  city: string | null;
  vip_level: number;
  tags: string[];
  order_count: number;
  total_spent_fen: number;
  created_at: string;
}

export interface OrderItem {
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_fen: number;
}

export interface Order {
  id: string;
  order_no: string;
  status: OrderStatus;
  total_fen: number;
  items: OrderItem[];
  created_at: string;
  paid_at: string | null;
  shipped_at: string | null;
  received_at: string | null;
  refunded_at: string | null;
  tracking_no: string | null;
}

export type BotAction = 'answer' | 'clarify' | 'hand_off';

/** An entry the bot named; `question` is null when the entry no longer exists. */
export interface NamedEntry {
  id: string;
  key: string | null;
  question: string | null;
}

/** One of the bot's turns: the shopper's message, the bot's reply and why. */
export interface BotTurn {
  question_id: string;
  reply_id: string;
  action: BotAction;
  /** The answer's entry, or the two entries offered. */
  entries: NamedEntry[];
  reason: HandOffReason | null;
  /** The ranker's probability for the best entry, 0–1. */
  confidence: number;
  /** The shopper's rating of an answer, once given. */
  helpful: boolean | null;
  at: string;
}

export interface ConversationDetail {
  conversation: ConversationSummary;
  messages: Message[];
  customer: Customer;
  orders: Order[];
  /** The bot's turns, oldest first. */
  bot_turns?: BotTurn[];
}

/** A knowledge-base answer to the shopper's latest message (agent assist). */
export interface Suggestion {
  entry_id: string;
  key: string | null;
  question: string;
  /** Filled with the shopper's latest order; still holds `{order.…}` when `complete` is false. */
  answer: string;
  complete: boolean;
  probability: number;
}

export interface Suggestions {
  /** The shopper message the suggestions answer; null before the shopper wrote. */
  message_id: string | null;
  question: string | null;
  suggestions: Suggestion[];
}

export interface WidgetSessionRequest {
  shop: string;
  user_id?: string;
  user_hash?: string;
  nickname?: string;
  visitor_token?: string;
}

export interface WidgetSession {
  token: string;
  customer: { id: string; nickname: string };
  shop: { slug: string; name: string };
}

export interface WidgetMessages {
  conversation: { id: string; state: ConversationState } | null;
  messages: Message[];
}

export interface WidgetSendResponse {
  conversation_id: string;
  message: Message;
  /** The bot's reply, when the bot serves the conversation. */
  reply?: Message | null;
  /** What the reply is; only an `answer` may be rated. */
  reply_action?: BotAction | null;
}

export interface WidgetRating {
  helpful: boolean;
}

/** Frames pushed by the server on /api/v1/live. */
export type LiveFrame =
  | { type: 'hello'; role: 'agent' | 'shopper' }
  | { type: 'message.created'; conversation_id: string; message: Message }
  | { type: 'conversation.updated'; conversation: ConversationSummary }
  | { type: 'resync' }
  | { type: 'pong' }
  | { type: 'ticket.reminder'; ticket: Ticket; overdue: boolean }
  | {
      type: 'sla.signal';
      conversation_id: string;
      clock: SlaClockKind;
      level: SlaLevel;
      agent_id: string | null;
      at: string;
    }
  | { type: 'agent.red_line'; agent_id: string; breaches: number }
  | { type: 'agent.yellow_line'; agent_id: string; breaches: number }
  | { type: 'agent.status'; agent_id: string; status: AgentStatus; since: string }
  | { type: 'alert.updated'; alert: Alert }
  | {
      type: 'queue.status';
      conversation_id: string;
      /** False once a person took the conversation (then position is null). */
      waiting: boolean;
      position: number | null;
      estimated_wait_ms: number | null;
      due: string | null;
    };

/** Maximum reply length in characters (Unicode code points), as enforced by the server. */
export const MAX_MESSAGE_CHARS = 2000;

/* ---- Knowledge base (知识库) ---- */

export type EntryStatus = 'draft' | 'in_review' | 'published' | 'retired';

export interface EntryStats {
  hits: number;
  helpful: number;
  unhelpful: number;
  handoffs: number;
  /** Helpful votes among all votes; null before the first vote. */
  helpful_rate: number | null;
}

export interface KnowledgeEntry {
  id: string;
  /** The shop's own code (编号). */
  key: string | null;
  question: string;
  similar: string[];
  answer: string;
  tags: string[];
  products: string[];
  /** First and last day the entry answers, `YYYY-MM-DD`. */
  valid_from: string | null;
  valid_to: string | null;
  status: EntryStatus;
  /** Whether the bot answers with it now (published and inside its validity window). */
  active: boolean;
  version: number;
  created_at: string;
  updated_at: string;
  stats: EntryStats;
}

export interface KnowledgeList {
  entries: KnowledgeEntry[];
  /** Entries in the shop, before filters. */
  total: number;
}

/** What the editor sends: POST /knowledge (with status) or PUT /knowledge/{id} (with version). */
export interface EntryInput {
  key?: string | null;
  question: string;
  similar: string[];
  answer: string;
  tags: string[];
  products: string[];
  valid_from?: string | null;
  valid_to?: string | null;
  status?: EntryStatus;
  version?: number;
}

/** What the bot would do with a question; `entry` and `options` are entry ids. */
export type BotDecision =
  | { action: 'answer'; entry: string; confidence: number }
  | { action: 'clarify'; options: [string, string]; confidence: number }
  | { action: 'hand_off'; reason: HandOffReason; confidence: number };

export interface SearchCandidate {
  entry: KnowledgeEntry;
  probability: number;
  /** The entry's phrasing closest to the question. */
  matched: string;
}

export interface KnowledgeSearchResult {
  candidates: SearchCandidate[];
  decision: BotDecision;
}

export interface KnowledgeImportResult {
  inserted: number;
  updated: number;
}

export interface BotSettings {
  answer_threshold: number;
  clarify_threshold: number;
  clarify_margin: number;
  negative_emotion_intensity: number;
  max_misses: number;
  vip_to_human: boolean;
}

/* ---- Knowledge base upkeep: proposals (待添加问题) and retirement (建议下架) ---- */

/** A group of questions the bot could not answer, proposed as a new entry. */
export interface KnowledgeProposal {
  id: string;
  /** The group's most central question: the proposed standard question. */
  question: string;
  similar: string[];
  /** Times asked, and by how many shoppers (conversations). */
  asked: number;
  askers: number;
  status: 'open' | 'approved' | 'dismissed';
  created_at: string;
}

export interface ProposalList {
  /** When the proposals were last computed; null before the first time. */
  refreshed_at: string | null;
  proposals: KnowledgeProposal[];
}

export interface RetirementCandidate {
  entry: KnowledgeEntry;
  /** Helpful rate × share of answers not followed by a hand-off, 0–1. */
  usefulness: number;
}

export interface RetirementList {
  /** Least useful first. */
  entries: RetirementCandidate[];
}

/* ---- Tickets (工单) ---- */

export type TicketKind = 'refund_check' | 'lost_parcel' | 'quality_claim' | 'other';
export type Department = 'logistics' | 'warehouse' | 'after_sales' | 'finance';
export type TicketStatus = 'open' | 'in_progress' | 'resolved' | 'closed';
export type TicketChangeKind =
  | 'created'
  | 'department_assigned'
  | 'note'
  | 'resolved'
  | 'closed'
  | 'reopened'
  | 'reminded'
  | 'due_changed'
  | 'owner_changed';

export interface AgentBrief {
  id: string;
  display_name: string;
}

export interface Ticket {
  id: string;
  /** The shop's running number, shown as #7. */
  number: number;
  conversation_id: string | null;
  customer: ConversationCustomer;
  order_no: string | null;
  kind: TicketKind;
  title: string;
  description: string;
  /** 首问负责人. */
  owner: AgentBrief;
  department: Department | null;
  status: TicketStatus;
  due_at: string | null;
  overdue: boolean;
  /** 二次投诉: the first ticket about the same order. */
  repeat_of: string | null;
  reopen_count: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface TicketChange {
  at: string;
  by: AgentBrief | null;
  change: TicketChangeKind;
  detail: string;
  department: Department | null;
  due_at: string | null;
  reminder: 'due_soon' | 'overdue' | null;
  owner: AgentBrief | null;
  previous_owner: AgentBrief | null;
  repeat_of: string | null;
}

export interface TicketDetail {
  ticket: Ticket;
  history: TicketChange[];
  repeat_of_number: number | null;
}

export interface TicketList {
  items: Ticket[];
}

export interface NewTicket {
  conversation_id?: string;
  customer_id?: string;
  order_no?: string;
  kind: TicketKind;
  title: string;
  description?: string;
}

/* ---- Supervisor alerts (告警) ---- */

export type AlertKind = 'complaint_surge' | 'risk_words' | 'sla_cluster' | 'agent_line' | 'emotion';
export type AlertSeverity = 'yellow' | 'red';
export type AlertState = 'raised' | 'delivered' | 'acknowledged' | 'resolved';
export type AlertSink = 'dashboard' | 'dingtalk' | 'wecom';

export interface Alert {
  id: string;
  kind: AlertKind;
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  title: string;
  detail: string;
  conversation_id: string | null;
  agent_id: string | null;
  count: number;
  raised_at: string;
  last_at: string;
  delivered_at: string | null;
  delivered_via: AlertSink | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  /** The targets it missed and was escalated for. */
  escalated: readonly ('delivery' | 'resolution')[];
}

export interface AlertList {
  alerts: Alert[];
  deliver_target_s: number;
  resolve_target_s: number;
}

export interface AlertHistoryEntry {
  at: string;
  by: string | null;
  change: 'raised' | 'bumped' | 'delivered' | 'delivery_failed' | 'acknowledged' | 'resolved' | 'escalated';
  data: Record<string, unknown>;
  note: string;
}

export interface AlertDetail {
  alert: Alert;
  history: AlertHistoryEntry[];
}

export interface RobotSettings {
  url: string;
  /** Whether a secret (DingTalk signing secret, WeCom key) is stored; never sent back. */
  secret_set: boolean;
}

export interface AlertSettings {
  dingtalk: RobotSettings;
  wecom: RobotSettings;
  negative_share_permille: number;
  complaint_floor: number;
  cluster_breaches: number;
  cluster_minutes: number;
  deliver_target_s: number;
  resolve_target_s: number;
}

/** A robot's new settings: `secret` left out keeps the stored one, '' removes it. */
export interface RobotChange {
  url: string;
  secret?: string;
}

export type AlertSettingsChange = Partial<
  Omit<AlertSettings, 'dingtalk' | 'wecom'> & { dingtalk: RobotChange; wecom: RobotChange }
>;

export interface RobotOutcome {
  sink: 'dingtalk' | 'wecom';
  ok: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

/** The shopper's emotion curve (`GET /conversations/{id}/analysis`). */
export interface EmotionCurve {
  points: { at_ms: number; score: number; mood: number; emotion: string | null; intensity: number }[];
  start: number;
  end: number;
  lowest: number;
  strong_negative_turn: boolean;
}

/** Conversation QA (质检), as `routes/qa.rs` sends it. */
export type QaItemName =
  | 'timeliness'
  | 'forbidden_phrases'
  | 'promises'
  | 'politeness'
  | 'resolution'
  | 'emotion';

export type QaAppealStatus = 'open' | 'accepted' | 'rejected';

export interface QaEvidence {
  note: string;
  message_id: string | null;
}

export interface QaReview {
  id: string;
  item: QaItemName;
  score: number;
  comment: string;
  reviewer: AgentBrief;
  at: string;
  appeal_id: string | null;
}

export interface QaItem {
  item: QaItemName;
  /** The effective score: the latest override's, else the scorer's. */
  score: number;
  auto_score: number;
  weight: number;
  applicable: boolean;
  explanation: string;
  evidence: QaEvidence[];
  review: QaReview | null;
}

export interface QaAppeal {
  id: string;
  conversation_id: string;
  agent: AgentBrief;
  item: QaItemName;
  reason: string;
  status: QaAppealStatus;
  created_at: string;
  decided_by: AgentBrief | null;
  decision: string | null;
  decided_at: string | null;
}

export interface QaScore {
  conversation_id: string;
  agent: AgentBrief | null;
  closed_at: string;
  scored_at: string;
  total: number;
  auto_total: number;
  rubric_version: number;
  items: QaItem[];
  reviews: QaReview[];
  appeal: QaAppeal | null;
  can_review: boolean;
  can_appeal: boolean;
}

export interface QaScoreRow {
  conversation_id: string;
  agent: AgentBrief | null;
  closed_at: string;
  total: number;
  auto_total: number;
  reviewed: boolean;
  appeal: QaAppealStatus | null;
}

export interface QaAgentAverage {
  agent: AgentBrief;
  conversations: number;
  average: number;
}

export interface QaScoreList {
  items: QaScoreRow[];
  agents: QaAgentAverage[];
}

export interface QaAppealList {
  items: QaAppeal[];
}
