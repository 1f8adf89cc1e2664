//! Tickets (工单) on the server: who owns a new one (首问负责), the wire views, and the reminder
//! round that tells a shop's agents when a ticket is due within the hour or overdue.
//!
//! Reminders are recorded as `reminded` history entries before they are pushed, and the store
//! keeps one per ticket, kind and due time, so each fires once even across restarts and nodes.
//! The round is [`remind`]; [`run_reminders`] calls it every minute with the injected clock's
//! time.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views::{CustomerBrief, LiveFrame};
use kefu_bus::Topic;
use kefu_domain::ticket::{
    Change, DUE_SOON_MS, ReminderKind, Ticket, TicketChange, first_responsible, reminder_due,
};
use kefu_domain::*;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use utoipa::ToSchema;

/// How often the reminder round runs.
pub const REMINDER_TICK: Duration = Duration::from_secs(60);

/// The owner of a new ticket: for a ticket from a conversation, the agent who first took it
/// (its first `assigned` event), else the first agent who replied in it, else the creator.
pub async fn owner_for(
    state: &AppState,
    shop: ShopId,
    conversation: Option<ConversationId>,
    creator: AgentId,
) -> ApiResult<AgentId> {
    let Some(conversation) = conversation else {
        return Ok(creator);
    };
    let first = state.store.first_agents(shop, conversation).await?;
    Ok(first_responsible(first.assigned, first.replied, creator))
}

/// An agent as a ticket shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentBrief {
    #[schema(value_type = String)]
    pub id: AgentId,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    #[schema(value_type = String)]
    pub id: TicketId,
    /// The shop's running number (shown as #7).
    pub number: i64,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    pub customer: CustomerBrief,
    pub order_no: Option<String>,
    /// refund_check | lost_parcel | quality_claim | other
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    /// 首问负责人.
    pub owner: AgentBrief,
    /// logistics | warehouse | after_sales | finance
    pub department: Option<&'static str>,
    /// open | in_progress | resolved | closed
    pub status: &'static str,
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Timestamp>,
    /// Open or in progress and past its due time.
    pub overdue: bool,
    /// 二次投诉: the first ticket about the same order.
    #[schema(value_type = Option<String>)]
    pub repeat_of: Option<TicketId>,
    pub reopen_count: u32,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<Timestamp>,
}

/// One entry of a ticket's history, flattened for the UI.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketChangeView {
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// Who made the change; null for reminders.
    pub by: Option<AgentBrief>,
    /// created | department_assigned | note | resolved | closed | reopened | reminded |
    /// due_changed | owner_changed
    pub change: &'static str,
    /// The person's words (note, reason, close note); may be empty.
    pub detail: String,
    pub department: Option<&'static str>,
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Timestamp>,
    /// due_soon | overdue (reminders).
    pub reminder: Option<&'static str>,
    /// The owner given at creation, or the new owner of a hand-over.
    pub owner: Option<AgentBrief>,
    /// The owner before a hand-over.
    pub previous_owner: Option<AgentBrief>,
    #[schema(value_type = Option<String>)]
    pub repeat_of: Option<TicketId>,
}

/// Names of agents and customers for rendering tickets, read once per request.
struct Names {
    agents: HashMap<AgentId, String>,
    customers: HashMap<CustomerId, Customer>,
}

impl Names {
    async fn load(state: &AppState, shop: ShopId, tickets: &[Ticket]) -> ApiResult<Self> {
        let agents = state
            .store
            .list_agents(shop)
            .await?
            .into_iter()
            .map(|a| (a.id, a.display_name))
            .collect();
        let mut ids: Vec<CustomerId> = tickets.iter().map(|t| t.customer).collect();
        ids.sort();
        ids.dedup();
        let customers = state
            .store
            .customers_by_ids(shop, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        Ok(Self { agents, customers })
    }

    fn agent(&self, id: AgentId) -> AgentBrief {
        AgentBrief {
            id,
            display_name: self.agents.get(&id).cloned().unwrap_or_default(),
        }
    }

    fn ticket(&self, t: &Ticket, now: Timestamp) -> TicketView {
        let customer = match self.customers.get(&t.customer) {
            Some(c) => CustomerBrief::from(c),
            None => CustomerBrief {
                id: t.customer,
                nickname: String::new(),
                vip_level: 0,
            },
        };
        TicketView {
            id: t.id,
            number: t.number,
            conversation_id: t.conversation,
            customer,
            order_no: t.order_no.clone(),
            kind: t.kind.as_str(),
            title: t.title.clone(),
            description: t.description.clone(),
            owner: self.agent(t.owner),
            department: t.department.map(|d| d.as_str()),
            status: t.status.as_str(),
            due_at: t.due_at,
            overdue: t.is_overdue(now),
            repeat_of: t.repeat_of,
            reopen_count: t.reopen_count,
            created_at: t.created_at,
            updated_at: t.updated_at,
            closed_at: t.closed_at,
        }
    }

    fn change(&self, c: &TicketChange) -> TicketChangeView {
        let mut v = TicketChangeView {
            at: c.at,
            by: c.by.map(|a| self.agent(a)),
            change: c.change.kind(),
            detail: c.detail.clone(),
            department: None,
            due_at: None,
            reminder: None,
            owner: None,
            previous_owner: None,
            repeat_of: None,
        };
        match &c.change {
            Change::Created { owner, repeat_of } => {
                v.owner = Some(self.agent(*owner));
                v.repeat_of = *repeat_of;
            }
            Change::DepartmentAssigned { department, due_at } => {
                v.department = Some(department.as_str());
                v.due_at = Some(*due_at);
            }
            Change::DueChanged { due_at } => v.due_at = Some(*due_at),
            Change::Reminded { reminder, due_at } => {
                v.reminder = Some(reminder.as_str());
                v.due_at = Some(*due_at);
            }
            Change::OwnerChanged { from, to } => {
                v.previous_owner = Some(self.agent(*from));
                v.owner = Some(self.agent(*to));
            }
            Change::Note | Change::Resolved | Change::Closed | Change::Reopened => {}
        }
        v
    }
}

/// Tickets as the API shows them (one read of names for all of them).
pub async fn views(
    state: &AppState,
    shop: ShopId,
    tickets: &[Ticket],
    now: Timestamp,
) -> ApiResult<Vec<TicketView>> {
    let names = Names::load(state, shop, tickets).await?;
    Ok(tickets.iter().map(|t| names.ticket(t, now)).collect())
}

/// A ticket with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketView,
    /// Oldest first.
    pub history: Vec<TicketChangeView>,
    /// The number of the ticket this one repeats, when it is a second complaint.
    pub repeat_of_number: Option<i64>,
}

/// A ticket of the shop with its history, read back from the store.
pub async fn detail(state: &AppState, shop: ShopId, id: TicketId) -> ApiResult<TicketDetail> {
    let ticket = state
        .store
        .ticket(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let history = state.store.ticket_changes(shop, id).await?;
    let repeat_of_number = match ticket.repeat_of {
        Some(first) => state.store.ticket(shop, first).await?.map(|t| t.number),
        None => None,
    };
    let names = Names::load(state, shop, std::slice::from_ref(&ticket)).await?;
    Ok(TicketDetail {
        ticket: names.ticket(&ticket, state.clock.now()),
        history: history.iter().map(|c| names.change(c)).collect(),
        repeat_of_number,
    })
}

/// One reminder round at `now`: for every shop, each open or in-progress ticket whose due time
/// is less than an hour away (or past) and that has not had that reminder for that due time
/// gets it recorded and pushed to the shop's agents as `ticket.reminder`. Returns how many
/// fired. A shop that fails does not stop the others; the first failure is returned after the
/// round.
pub async fn remind(state: &AppState, now: Timestamp) -> ApiResult<usize> {
    let mut fired = 0;
    let mut failure = None;
    for shop in state.store.list_shops().await? {
        match remind_shop(state, shop.id, now).await {
            Ok(n) => fired += n,
            Err(e) => {
                tracing::warn!(shop = %shop.slug, error = %e.message, "ticket reminders failed");
                failure.get_or_insert(e);
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(fired),
    }
}

async fn remind_shop(state: &AppState, shop: ShopId, now: Timestamp) -> ApiResult<usize> {
    let due = state
        .store
        .tickets_due(shop, now.plus_millis(DUE_SOON_MS))
        .await?;
    let mut fired: Vec<(Ticket, ReminderKind)> = Vec::new();
    for d in due {
        let Some(reminder) = reminder_due(&d.ticket, &d.sent, now) else {
            continue;
        };
        // Recorded first: a reminder another node recorded meanwhile is not pushed twice.
        if state
            .store
            .record_ticket_reminder(shop, &reminder.change(now))
            .await?
        {
            fired.push((d.ticket, reminder.kind));
        }
    }
    if fired.is_empty() {
        return Ok(0);
    }
    let tickets: Vec<Ticket> = fired.iter().map(|(t, _)| t.clone()).collect();
    let views = views(state, shop, &tickets, now).await?;
    for (view, (_, kind)) in views.into_iter().zip(&fired) {
        tracing::info!(%shop, ticket = %view.id, reminder = kind.as_str(), "ticket reminder");
        let frame = LiveFrame::TicketReminder {
            ticket: view,
            overdue: *kind == ReminderKind::Overdue,
        };
        state.bus.publish(Topic::Shop(shop), frame.to_json());
    }
    Ok(fired.len())
}

/// The reminder job: every minute, one [`remind`] round at the clock's time. Failures are
/// logged (in `remind`) and the next round tries again.
pub async fn run_reminders(state: AppState) {
    let mut tick = tokio::time::interval(REMINDER_TICK);
    loop {
        tick.tick().await;
        if let Err(e) = remind(&state, state.clock.now()).await {
            tracing::debug!(error = %e.message, "ticket reminder round incomplete");
        }
    }
}
