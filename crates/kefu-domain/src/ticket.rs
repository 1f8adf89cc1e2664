//! Tickets (工单): the work a chat cannot finish — a refund to check, a lost parcel, a quality
//! claim. A ticket is owned by the agent who first took the case (首问负责) and stays theirs
//! while departments (物流, 仓库, 售后, 财务) do their part; only the owner closes it, after
//! confirming with the shopper.
//!
//! ```text
//!            assign department (with a due time)        department done
//!  open ─────────────────────────────► in_progress ──────────────────► resolved
//!   │  ▲                                  ▲   │ reassign / new due          │
//!   │  │                                  └───┘◄──── back to a department ─┤
//!   │  └──────────── reopen (counted) ───────────── closed ◄── close ──────┘
//!   └──────────────────────── close (owner, confirmed with the shopper) ──►┘
//! ```
//! Every change yields a [`TicketChange`], the ticket's history. The functions here decide; the
//! store records. No I/O, no clock reads: time comes in as an argument.

use crate::ids::*;
use crate::model::{Agent, Role, named_enum};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// The longest description, note, close note or reopen reason, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// The longest order number.
pub const MAX_ORDER_NO_CHARS: usize = 64;
/// A due time this close is reminded about ahead of time (1 hour).
pub const DUE_SOON_MS: i64 = 3_600_000;

named_enum!(
    /// What the ticket is about.
    TicketKind {
        /// 退款核实: a refund to check.
        RefundCheck = "refund_check",
        /// 丢件: a parcel lost in transit.
        LostParcel = "lost_parcel",
        /// 质量问题: a quality claim.
        QualityClaim = "quality_claim",
        /// 其他.
        Other = "other",
    }
);

named_enum!(
    /// A department that works on tickets.
    Department {
        /// 物流.
        Logistics = "logistics",
        /// 仓库.
        Warehouse = "warehouse",
        /// 售后.
        AfterSales = "after_sales",
        /// 财务.
        Finance = "finance",
    }
);

named_enum!(
    /// Where a ticket stands.
    TicketStatus {
        /// With its owner; no department works on it.
        Open = "open",
        /// A department works on it, against a due time.
        InProgress = "in_progress",
        /// The department is done; the owner must confirm with the shopper and close it.
        Resolved = "resolved",
        /// Confirmed with the shopper and closed by the owner.
        Closed = "closed",
    }
);

named_enum!(
    /// Which reminder a ticket got for its due time.
    ReminderKind {
        /// The due time is less than an hour away.
        DueSoon = "due_soon",
        /// The due time has passed.
        Overdue = "overdue",
    }
);

/// A ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub shop: ShopId,
    /// The shop's own running number (1, 2, 3 …), given by the store when the ticket is first
    /// written; 0 before that.
    pub number: i64,
    /// The conversation the ticket came from, if any.
    pub conversation: Option<ConversationId>,
    pub customer: CustomerId,
    pub order_no: Option<String>,
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
    /// 首问负责人: the agent who first took the case.
    pub owner: AgentId,
    /// The department working on it (set while `in_progress` and after it resolved).
    pub department: Option<Department>,
    pub status: TicketStatus,
    pub due_at: Option<Timestamp>,
    /// A second complaint about the same order: the first ticket for that order.
    pub repeat_of: Option<TicketId>,
    /// How many times the ticket was reopened after being closed.
    pub reopen_count: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// Counts the changes to the ticket's row; the store writes a change only over the version
    /// it was decided on.
    pub version: i64,
}

impl Ticket {
    /// Whether the due time has passed while a department or the owner still works on it.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.is_active() && self.due_at.is_some_and(|due| due <= now)
    }

    /// Open or in progress: somebody still has to act before the due time.
    pub fn is_active(&self) -> bool {
        matches!(self.status, TicketStatus::Open | TicketStatus::InProgress)
    }
}

/// What happened to a ticket, with what it needs to be read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Created {
        owner: AgentId,
        repeat_of: Option<TicketId>,
    },
    DepartmentAssigned {
        department: Department,
        due_at: Timestamp,
    },
    Note,
    Resolved,
    Closed,
    Reopened,
    Reminded {
        reminder: ReminderKind,
        due_at: Timestamp,
    },
    DueChanged {
        due_at: Timestamp,
    },
    /// A supervisor or admin handed the ticket to another owner.
    OwnerChanged {
        from: AgentId,
        to: AgentId,
    },
}

impl Change {
    /// The stored `change` column.
    pub const fn kind(&self) -> &'static str {
        match self {
            Change::Created { .. } => "created",
            Change::DepartmentAssigned { .. } => "department_assigned",
            Change::Note => "note",
            Change::Resolved => "resolved",
            Change::Closed => "closed",
            Change::Reopened => "reopened",
            Change::Reminded { .. } => "reminded",
            Change::DueChanged { .. } => "due_changed",
            Change::OwnerChanged { .. } => "owner_changed",
        }
    }
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketChange {
    pub ticket: TicketId,
    pub at: Timestamp,
    /// Who made the change; `None` for the system (reminders).
    pub by: Option<AgentId>,
    pub change: Change,
    /// The person's words: the note, the reason, the close note; may be empty.
    pub detail: String,
}

/// Why a ticket change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// A field is missing, too long or otherwise unusable.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Only the owner (首问负责人) may do this.
    #[error("only the ticket's owner may {0}")]
    NotOwner(&'static str),
    /// The caller's role may not do this.
    #[error("only a supervisor or admin may {0}")]
    Forbidden(&'static str),
    /// Not possible in the ticket's current status.
    #[error("cannot {action} a ticket that is {from}")]
    Transition {
        from: TicketStatus,
        action: &'static str,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> TicketError {
    TicketError::Invalid {
        field,
        message: message.into(),
    }
}

/// Trimmed text of at most `max` characters; empty allowed unless `required`.
fn text(field: &'static str, s: &str, max: usize, required: bool) -> Result<String, TicketError> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// 首问负责: the agent who first took the conversation — the first `Assigned` of its log — or
/// else the first agent who replied in it, or else whoever creates the ticket.
pub fn first_responsible(
    first_assigned: Option<AgentId>,
    first_replier: Option<AgentId>,
    creator: AgentId,
) -> AgentId {
    first_assigned.or(first_replier).unwrap_or(creator)
}

/// What the person creating a ticket provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketDraft {
    pub conversation: Option<ConversationId>,
    pub customer: CustomerId,
    pub order_no: Option<String>,
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
    pub due_at: Option<Timestamp>,
}

/// Who a new ticket belongs to and what came before it; found by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// See [`first_responsible`].
    pub owner: AgentId,
    /// The first earlier ticket about the same order, if any.
    pub repeat_of: Option<TicketId>,
}

/// A new open ticket and its `created` history entry.
pub fn create(
    shop: ShopId,
    id: TicketId,
    draft: &TicketDraft,
    provenance: Provenance,
    by: AgentId,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    let title = text("title", &draft.title, MAX_TITLE_CHARS, true)?;
    let description = text("description", &draft.description, MAX_TEXT_CHARS, false)?;
    let order_no = match draft.order_no.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(no) => Some(order_number(no)?),
    };
    if let Some(due) = draft.due_at
        && due <= now
    {
        return Err(invalid("due_at", "must be in the future"));
    }
    let ticket = Ticket {
        id,
        shop,
        number: 0,
        conversation: draft.conversation,
        customer: draft.customer,
        order_no,
        kind: draft.kind,
        title,
        description,
        owner: provenance.owner,
        department: None,
        status: TicketStatus::Open,
        due_at: draft.due_at,
        repeat_of: provenance.repeat_of,
        reopen_count: 0,
        created_at: now,
        updated_at: now,
        closed_at: None,
        version: 1,
    };
    let change = TicketChange {
        ticket: id,
        at: now,
        by: Some(by),
        change: Change::Created {
            owner: provenance.owner,
            repeat_of: provenance.repeat_of,
        },
        detail: String::new(),
    };
    Ok((ticket, change))
}

fn order_number(no: &str) -> Result<String, TicketError> {
    if no.chars().count() > MAX_ORDER_NO_CHARS {
        return Err(invalid(
            "order_no",
            format!("must be at most {MAX_ORDER_NO_CHARS} characters"),
        ));
    }
    if !no
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(
            "order_no",
            "must be letters, digits, '-' or '_' only",
        ));
    }
    Ok(no.to_owned())
}

fn changed(ticket: &Ticket, now: Timestamp) -> Ticket {
    Ticket {
        updated_at: now,
        version: ticket.version + 1,
        ..ticket.clone()
    }
}

fn entry(
    ticket: &Ticket,
    by: AgentId,
    change: Change,
    detail: String,
    now: Timestamp,
) -> TicketChange {
    TicketChange {
        ticket: ticket.id,
        at: now,
        by: Some(by),
        change,
        detail,
    }
}

/// Gives the ticket to a department with a due time (or, when it is already with that
/// department, only moves the due time). A resolved ticket may go back to a department.
pub fn assign_department(
    ticket: &Ticket,
    by: AgentId,
    department: Department,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    if ticket.status == TicketStatus::Closed {
        return Err(TicketError::Transition {
            from: ticket.status,
            action: "assign",
        });
    }
    if due_at <= now {
        return Err(invalid("due_at", "must be in the future"));
    }
    let same = ticket.status == TicketStatus::InProgress && ticket.department == Some(department);
    let change = if same {
        Change::DueChanged { due_at }
    } else {
        Change::DepartmentAssigned { department, due_at }
    };
    let next = Ticket {
        department: Some(department),
        status: TicketStatus::InProgress,
        due_at: Some(due_at),
        ..changed(ticket, now)
    };
    Ok((next, entry(ticket, by, change, String::new(), now)))
}

/// A note in the ticket's history (any status: a closed ticket's file stays writable).
pub fn add_note(
    ticket: &Ticket,
    by: AgentId,
    note: &str,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    let note = text("text", note, MAX_TEXT_CHARS, true)?;
    Ok((
        changed(ticket, now),
        entry(ticket, by, Change::Note, note, now),
    ))
}

/// The department is done; the ticket goes back to its owner to confirm with the shopper.
pub fn resolve(
    ticket: &Ticket,
    by: AgentId,
    note: &str,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    if ticket.status != TicketStatus::InProgress {
        return Err(TicketError::Transition {
            from: ticket.status,
            action: "resolve",
        });
    }
    let note = text("note", note, MAX_TEXT_CHARS, false)?;
    let next = Ticket {
        status: TicketStatus::Resolved,
        ..changed(ticket, now)
    };
    Ok((next, entry(ticket, by, Change::Resolved, note, now)))
}

/// The owner closes the ticket after confirming the outcome with the shopper.
pub fn close(
    ticket: &Ticket,
    by: AgentId,
    confirmed_with_shopper: bool,
    note: &str,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    if by != ticket.owner {
        return Err(TicketError::NotOwner("close it"));
    }
    if ticket.status == TicketStatus::Closed {
        return Err(TicketError::Transition {
            from: ticket.status,
            action: "close",
        });
    }
    if !confirmed_with_shopper {
        return Err(invalid(
            "confirmed_with_shopper",
            "confirm the outcome with the shopper before closing",
        ));
    }
    let note = text("note", note, MAX_TEXT_CHARS, false)?;
    let next = Ticket {
        status: TicketStatus::Closed,
        closed_at: Some(now),
        ..changed(ticket, now)
    };
    Ok((next, entry(ticket, by, Change::Closed, note, now)))
}

/// Opens a closed ticket again (the shopper came back about it). It returns to its owner with
/// no department and no due time, and the reopening is counted.
pub fn reopen(
    ticket: &Ticket,
    by: AgentId,
    reason: &str,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    if ticket.status != TicketStatus::Closed {
        return Err(TicketError::Transition {
            from: ticket.status,
            action: "reopen",
        });
    }
    let reason = text("reason", reason, MAX_TEXT_CHARS, true)?;
    let next = Ticket {
        status: TicketStatus::Open,
        department: None,
        due_at: None,
        closed_at: None,
        reopen_count: ticket.reopen_count.saturating_add(1),
        ..changed(ticket, now)
    };
    Ok((next, entry(ticket, by, Change::Reopened, reason, now)))
}

/// Whether a role may hand a ticket to another owner.
pub fn can_hand_over(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

/// A supervisor or admin gives the ticket to another agent of the shop, explicitly.
pub fn hand_over(
    ticket: &Ticket,
    by: &Agent,
    to: &Agent,
    reason: &str,
    now: Timestamp,
) -> Result<(Ticket, TicketChange), TicketError> {
    if !can_hand_over(by.role) {
        return Err(TicketError::Forbidden("hand a ticket over"));
    }
    if to.shop != ticket.shop {
        return Err(invalid("agent", "no such agent in this shop"));
    }
    if to.id == ticket.owner {
        return Err(invalid("agent", "already the owner"));
    }
    if ticket.status == TicketStatus::Closed {
        return Err(TicketError::Transition {
            from: ticket.status,
            action: "hand over",
        });
    }
    let reason = text("reason", reason, MAX_TEXT_CHARS, false)?;
    let next = Ticket {
        owner: to.id,
        ..changed(ticket, now)
    };
    let change = Change::OwnerChanged {
        from: ticket.owner,
        to: to.id,
    };
    Ok((next, entry(ticket, by.id, change, reason, now)))
}

/// A reminder that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminder {
    pub ticket: TicketId,
    pub kind: ReminderKind,
    /// The due time it is about: a new due time gets its own reminders.
    pub due_at: Timestamp,
}

impl Reminder {
    /// The history entry that records it (and, being recorded, keeps it from firing again).
    pub fn change(&self, now: Timestamp) -> TicketChange {
        TicketChange {
            ticket: self.ticket,
            at: now,
            by: None,
            change: Change::Reminded {
                reminder: self.kind,
                due_at: self.due_at,
            },
            detail: String::new(),
        }
    }
}

/// The reminder `ticket` needs at `now`, given the reminders it already got (`sent`: kind and
/// due time): an open or in-progress ticket gets one when its due time is less than an hour
/// away and one when it has passed, once each per due time. A ticket found already overdue
/// gets only the overdue one.
pub fn reminder_due(
    ticket: &Ticket,
    sent: &[(ReminderKind, Timestamp)],
    now: Timestamp,
) -> Option<Reminder> {
    if !ticket.is_active() {
        return None;
    }
    let due = ticket.due_at?;
    let kind = if due <= now {
        ReminderKind::Overdue
    } else if due.as_millis() - now.as_millis() <= DUE_SOON_MS {
        ReminderKind::DueSoon
    } else {
        return None;
    };
    let already = sent.iter().any(|&(k, at)| {
        at == due && (k == kind || (k == ReminderKind::Overdue && kind == ReminderKind::DueSoon))
    });
    (!already).then_some(Reminder {
        ticket: ticket.id,
        kind,
        due_at: due,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_764_000_000_000 + ms)
    }

    fn person(shop: ShopId, role: Role) -> Agent {
        Agent {
            id: AgentId::new(),
            shop,
            username: format!("{role}"),
            display_name: format!("{role}"),
            role,
            tier: crate::model::Tier::Standard,
            skill_groups: Vec::new(),
            max_concurrent: 5,
            created_at: t(0),
        }
    }

    fn draft() -> TicketDraft {
        TicketDraft {
            conversation: Some(ConversationId::new()),
            customer: CustomerId::new(),
            order_no: Some(" E20261201001 ".into()),
            kind: TicketKind::LostParcel,
            title: "  快递三天没动  ".into(),
            description: "顾客说物流停在杭州中转站".into(),
            due_at: None,
        }
    }

    fn new_ticket(owner: AgentId) -> Ticket {
        let provenance = Provenance {
            owner,
            repeat_of: None,
        };
        create(
            ShopId::new(),
            TicketId::new(),
            &draft(),
            provenance,
            owner,
            t(0),
        )
        .expect("valid")
        .0
    }

    #[test]
    fn the_first_to_take_the_case_owns_it() {
        let (first, replier, creator) = (AgentId::new(), AgentId::new(), AgentId::new());
        assert_eq!(
            first_responsible(Some(first), Some(replier), creator),
            first
        );
        assert_eq!(first_responsible(None, Some(replier), creator), replier);
        assert_eq!(first_responsible(None, None, creator), creator);
    }

    #[test]
    fn create_trims_and_records_the_owner_and_the_earlier_ticket() {
        let (owner, creator, earlier) = (AgentId::new(), AgentId::new(), TicketId::new());
        let provenance = Provenance {
            owner,
            repeat_of: Some(earlier),
        };
        let (ticket, change) = create(
            ShopId::new(),
            TicketId::new(),
            &draft(),
            provenance,
            creator,
            t(0),
        )
        .expect("valid");
        assert_eq!(ticket.title, "快递三天没动");
        assert_eq!(ticket.order_no.as_deref(), Some("E20261201001"));
        assert_eq!((ticket.owner, ticket.status), (owner, TicketStatus::Open));
        assert_eq!(ticket.repeat_of, Some(earlier));
        assert_eq!(change.by, Some(creator));
        assert_eq!(
            change.change,
            Change::Created {
                owner,
                repeat_of: Some(earlier)
            }
        );
    }

    #[test]
    fn create_refuses_bad_fields() {
        let p = Provenance {
            owner: AgentId::new(),
            repeat_of: None,
        };
        type Edit = fn(&mut TicketDraft);
        let cases: [(Edit, &str); 5] = [
            (|d| d.title = "  ".into(), "title"),
            (|d| d.title = "长".repeat(MAX_TITLE_CHARS + 1), "title"),
            (|d| d.order_no = Some("E2026 1201".into()), "order_no"),
            (|d| d.description = "a\u{0}b".into(), "description"),
            (|d| d.due_at = Some(t(-1)), "due_at"),
        ];
        for (edit, field) in cases {
            let mut d = draft();
            edit(&mut d);
            let err =
                create(ShopId::new(), TicketId::new(), &d, p, p.owner, t(0)).expect_err("refused");
            assert!(
                matches!(err, TicketError::Invalid { field: f, .. } if f == field),
                "{field}: {err:?}"
            );
        }
        let mut d = draft();
        d.order_no = Some("   ".into());
        let (ticket, _) = create(ShopId::new(), TicketId::new(), &d, p, p.owner, t(0)).expect("ok");
        assert_eq!(
            ticket.order_no, None,
            "a blank order number is no order number"
        );
    }

    #[test]
    fn a_department_works_on_it_then_the_owner_closes_it() {
        let owner = AgentId::new();
        let helper = AgentId::new();
        let ticket = new_ticket(owner);
        let (ticket, c) =
            assign_department(&ticket, helper, Department::Logistics, t(7_200_000), t(10))
                .expect("assign");
        assert_eq!(ticket.status, TicketStatus::InProgress);
        assert_eq!(ticket.version, 2);
        assert_eq!(
            c.change,
            Change::DepartmentAssigned {
                department: Department::Logistics,
                due_at: t(7_200_000)
            }
        );
        let (ticket, c) =
            assign_department(&ticket, helper, Department::Logistics, t(9_000_000), t(20))
                .expect("new due");
        assert_eq!(
            c.change,
            Change::DueChanged {
                due_at: t(9_000_000)
            }
        );
        let (ticket, c) = add_note(&ticket, helper, " 已联系快递 ", t(30)).expect("note");
        assert_eq!(
            (c.change.clone(), c.detail.as_str()),
            (Change::Note, "已联系快递")
        );
        let (ticket, _) = resolve(&ticket, helper, "找到了", t(40)).expect("resolve");
        assert_eq!(ticket.status, TicketStatus::Resolved);
        assert!(
            !ticket.is_overdue(t(99_999_999)),
            "resolved tickets are not overdue"
        );

        assert_eq!(
            close(&ticket, helper, true, "", t(50)),
            Err(TicketError::NotOwner("close it"))
        );
        assert!(matches!(
            close(&ticket, owner, false, "", t(50)),
            Err(TicketError::Invalid {
                field: "confirmed_with_shopper",
                ..
            })
        ));
        let (closed, c) = close(&ticket, owner, true, "顾客确认收到", t(50)).expect("close");
        assert_eq!(closed.status, TicketStatus::Closed);
        assert_eq!(closed.closed_at, Some(t(50)));
        assert_eq!(c.detail, "顾客确认收到");
        assert!(matches!(
            close(&closed, owner, true, "", t(60)),
            Err(TicketError::Transition {
                from: TicketStatus::Closed,
                action: "close"
            })
        ));
    }

    #[test]
    fn transitions_that_make_no_sense_are_refused() {
        let owner = AgentId::new();
        let ticket = new_ticket(owner);
        assert!(matches!(
            resolve(&ticket, owner, "", t(1)),
            Err(TicketError::Transition {
                from: TicketStatus::Open,
                ..
            })
        ));
        assert!(matches!(
            reopen(&ticket, owner, "again", t(1)),
            Err(TicketError::Transition {
                from: TicketStatus::Open,
                ..
            })
        ));
        assert!(matches!(
            assign_department(&ticket, owner, Department::Finance, t(0), t(0)),
            Err(TicketError::Invalid {
                field: "due_at",
                ..
            })
        ));
        let (closed, _) = close(&ticket, owner, true, "", t(1)).expect("owner closes an open one");
        assert!(matches!(
            assign_department(&closed, owner, Department::Finance, t(9_000), t(2)),
            Err(TicketError::Transition { .. })
        ));
        assert!(add_note(&closed, owner, "补充说明", t(2)).is_ok());
        assert!(matches!(
            add_note(&closed, owner, " ", t(2)),
            Err(TicketError::Invalid { field: "text", .. })
        ));
    }

    #[test]
    fn reopening_counts_and_returns_the_ticket_to_its_owner() {
        let owner = AgentId::new();
        let ticket = new_ticket(owner);
        let (ticket, _) =
            assign_department(&ticket, owner, Department::Warehouse, t(9_000), t(1)).expect("ok");
        let (ticket, _) = close(&ticket, owner, true, "", t(2)).expect("close");
        assert!(matches!(
            reopen(&ticket, owner, "", t(3)),
            Err(TicketError::Invalid {
                field: "reason",
                ..
            })
        ));
        let (ticket, c) = reopen(&ticket, owner, "顾客说还没收到", t(3)).expect("reopen");
        assert_eq!(ticket.status, TicketStatus::Open);
        assert_eq!(ticket.reopen_count, 1);
        assert_eq!(
            (ticket.department, ticket.due_at, ticket.closed_at),
            (None, None, None)
        );
        assert_eq!(c.change, Change::Reopened);
        let (ticket, _) = close(&ticket, owner, true, "", t(4)).expect("close");
        let (ticket, _) = reopen(&ticket, owner, "又来了", t(5)).expect("reopen");
        assert_eq!(ticket.reopen_count, 2);
    }

    #[test]
    fn only_supervisors_and_admins_hand_tickets_over() {
        let ticket = new_ticket(AgentId::new());
        let shop = ticket.shop;
        let agent = person(shop, Role::Agent);
        let boss = person(shop, Role::Supervisor);
        let next = person(shop, Role::Agent);
        assert_eq!(
            hand_over(&ticket, &agent, &next, "", t(1)),
            Err(TicketError::Forbidden("hand a ticket over"))
        );
        let stranger = person(ShopId::new(), Role::Agent);
        assert!(matches!(
            hand_over(&ticket, &boss, &stranger, "", t(1)),
            Err(TicketError::Invalid { field: "agent", .. })
        ));
        let (moved, c) = hand_over(&ticket, &boss, &next, "调岗", t(1)).expect("hand over");
        assert_eq!(moved.owner, next.id);
        assert_eq!(
            c.change,
            Change::OwnerChanged {
                from: ticket.owner,
                to: next.id
            }
        );
        assert_eq!(c.by, Some(boss.id));
    }

    #[test]
    fn reminders_fire_once_per_due_time() {
        let owner = AgentId::new();
        let ticket = new_ticket(owner);
        assert_eq!(
            reminder_due(&ticket, &[], t(0)),
            None,
            "no due time, no reminder"
        );
        let due = t(3 * 3_600_000);
        let (ticket, _) =
            assign_department(&ticket, owner, Department::AfterSales, due, t(0)).expect("ok");
        assert_eq!(
            reminder_due(&ticket, &[], t(3_600_000)),
            None,
            "two hours left"
        );
        let soon = reminder_due(&ticket, &[], t(2 * 3_600_000)).expect("an hour left");
        assert_eq!((soon.kind, soon.due_at), (ReminderKind::DueSoon, due));
        let mut sent = vec![(ReminderKind::DueSoon, due)];
        assert_eq!(
            reminder_due(&ticket, &sent, t(2 * 3_600_000 + 60_000)),
            None
        );
        let late = reminder_due(&ticket, &sent, due).expect("overdue");
        assert_eq!(late.kind, ReminderKind::Overdue);
        assert_eq!(
            late.change(due).change,
            Change::Reminded {
                reminder: ReminderKind::Overdue,
                due_at: due
            }
        );
        sent.push((ReminderKind::Overdue, due));
        assert_eq!(reminder_due(&ticket, &sent, t(9 * 3_600_000)), None);

        // A new due time gets its own reminders.
        let later = t(10 * 3_600_000);
        let (moved, _) = assign_department(
            &ticket,
            owner,
            Department::AfterSales,
            later,
            t(9 * 3_600_000 + 1),
        )
        .expect("new due");
        assert_eq!(
            reminder_due(&moved, &sent, t(9 * 3_600_000 + 2)).map(|r| r.kind),
            Some(ReminderKind::DueSoon)
        );
        // Found already overdue: only the overdue reminder, and no due-soon one after it.
        assert_eq!(
            reminder_due(&moved, &sent, later.plus_millis(5)).map(|r| r.kind),
            Some(ReminderKind::Overdue)
        );
        let sent_late = [(ReminderKind::Overdue, later)];
        assert_eq!(reminder_due(&moved, &sent_late, later.plus_millis(5)), None);
        // Resolved or closed tickets are not chased.
        let (done, _) = resolve(&moved, owner, "", t(9 * 3_600_000 + 3)).expect("resolve");
        assert_eq!(reminder_due(&done, &[], later.plus_millis(5)), None);
    }
}
