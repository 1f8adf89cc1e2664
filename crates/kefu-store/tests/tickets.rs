//! Tickets (工单) on both backends: numbers, history in the same transaction, stale writes,
//! filters, the first agent of a conversation, reminders once, and no cross-shop reads.

use kefu_domain::conversation::{Opening, decide_agent_reply, decide_shopper_message, fold_new};
use kefu_domain::ticket::{self, *};
use kefu_domain::*;
use kefu_store::*;
use kefu_testkit::*;

fn draft(customer: CustomerId, order_no: Option<&str>, title: &str) -> TicketDraft {
    TicketDraft {
        conversation: None,
        customer,
        order_no: order_no.map(str::to_owned),
        kind: TicketKind::LostParcel,
        title: title.to_owned(),
        description: String::new(),
        due_at: None,
    }
}

async fn new_ticket(
    s: &dyn Store,
    shop: ShopId,
    d: &TicketDraft,
    owner: AgentId,
    now: Timestamp,
) -> Ticket {
    let repeat_of = match d.order_no.as_deref() {
        Some(no) => s
            .first_ticket_for_order(shop, no)
            .await
            .expect("read")
            .map(|t| t.id),
        None => None,
    };
    let provenance = Provenance { owner, repeat_of };
    let (t, c) = ticket::create(shop, TicketId::new(), d, provenance, owner, now).expect("valid");
    s.create_ticket(&t, &c).await.expect("create")
}

async fn tickets_story(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let id = demo.shop.id;
    let a = agent(id, "xiaomei", Role::Agent);
    let b = agent(id, "aqiang", Role::Agent);
    s.upsert_agent(&a, "h").await.expect("agent");
    s.upsert_agent(&b, "h").await.expect("agent");
    let buyer = customer(id, "C1");
    s.upsert_customers(id, std::slice::from_ref(&buyer))
        .await
        .expect("customer");

    // Numbers run per shop; the first ticket about an order is what a second one repeats.
    let first = new_ticket(
        s,
        id,
        &draft(buyer.id, Some("E1001"), "快递丢了"),
        a.id,
        at(10),
    )
    .await;
    let second = new_ticket(
        s,
        id,
        &draft(buyer.id, Some("E1001"), "还是没到"),
        b.id,
        at(20),
    )
    .await;
    let third = new_ticket(s, id, &draft(buyer.id, None, "发票"), b.id, at(30)).await;
    assert_eq!((first.number, second.number, third.number), (1, 2, 3));
    assert_eq!(first.repeat_of, None);
    assert_eq!(second.repeat_of, Some(first.id));
    assert_eq!(
        s.ticket(id, first.id).await.expect("read"),
        Some(first.clone())
    );

    // A change and its history entry; a writer holding an old version is refused and leaves
    // no entry behind.
    let due = at(3 * 3_600_000);
    let (assigned, c) =
        assign_department(&first, b.id, Department::Logistics, due, at(40)).expect("assign");
    s.update_ticket(&assigned, first.version, &c)
        .await
        .expect("update");
    let (noted, c2) = add_note(&first, a.id, "过期的修改", at(41)).expect("note");
    assert!(matches!(
        s.update_ticket(&noted, first.version, &c2).await,
        Err(StoreError::Stale(_))
    ));
    let history = s.ticket_changes(id, first.id).await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[0].change,
        Change::Created {
            owner: a.id,
            repeat_of: None
        }
    );
    assert_eq!(history[1], c);
    assert_eq!(
        s.ticket(id, first.id).await.expect("read"),
        Some(assigned.clone())
    );

    // Filters, due first.
    let active = s
        .list_tickets(id, &TicketFilter::default(), 50)
        .await
        .expect("list");
    assert_eq!(
        active.iter().map(|t| t.number).collect::<Vec<_>>(),
        vec![1, 3, 2],
        "due first, then newest"
    );
    let mine = TicketFilter {
        owner: Some(b.id),
        ..TicketFilter::default()
    };
    assert_eq!(s.list_tickets(id, &mine, 50).await.expect("list").len(), 2);
    let logistics = TicketFilter {
        department: Some(Department::Logistics),
        status: Some(TicketStatusFilter::Only(TicketStatus::InProgress)),
        ..TicketFilter::default()
    };
    assert_eq!(
        s.list_tickets(id, &logistics, 50).await.expect("list"),
        vec![assigned.clone()]
    );
    let overdue_now = TicketFilter {
        overdue_at: Some(at(60)),
        ..TicketFilter::default()
    };
    assert!(
        s.list_tickets(id, &overdue_now, 50)
            .await
            .expect("list")
            .is_empty()
    );
    let overdue_later = TicketFilter {
        overdue_at: Some(due),
        ..TicketFilter::default()
    };
    assert_eq!(
        s.list_tickets(id, &overdue_later, 50)
            .await
            .expect("list")
            .len(),
        1
    );
    let (closed, c) = ticket::close(&third, b.id, true, "", at(50)).expect("close");
    s.update_ticket(&closed, third.version, &c)
        .await
        .expect("close");
    assert_eq!(
        s.list_tickets(id, &TicketFilter::default(), 50)
            .await
            .expect("list")
            .len(),
        2
    );
    let all = TicketFilter {
        status: Some(TicketStatusFilter::All),
        ..TicketFilter::default()
    };
    assert_eq!(s.list_tickets(id, &all, 50).await.expect("list").len(), 3);

    // Reminders: recorded once per kind and due time.
    let soon = at(2 * 3_600_000 + 1);
    let due_now = s
        .tickets_due(id, soon.plus_millis(DUE_SOON_MS))
        .await
        .expect("due");
    assert_eq!(due_now.len(), 1);
    let r = reminder_due(&due_now[0].ticket, &due_now[0].sent, soon).expect("due soon");
    assert_eq!(r.kind, ReminderKind::DueSoon);
    assert!(
        s.record_ticket_reminder(id, &r.change(soon))
            .await
            .expect("record")
    );
    assert!(
        !s.record_ticket_reminder(id, &r.change(soon.plus_millis(60_000)))
            .await
            .expect("record"),
        "the same reminder is recorded once"
    );
    let again = s
        .tickets_due(id, soon.plus_millis(DUE_SOON_MS))
        .await
        .expect("due");
    assert_eq!(again[0].sent, vec![(ReminderKind::DueSoon, due)]);
    assert_eq!(reminder_due(&again[0].ticket, &again[0].sent, soon), None);
    let late = reminder_due(&again[0].ticket, &again[0].sent, due).expect("overdue");
    assert!(
        s.record_ticket_reminder(id, &late.change(due))
            .await
            .expect("record")
    );
    assert!(
        s.tickets_due(id, due.plus_millis(DUE_SOON_MS))
            .await
            .expect("due")
            .is_empty(),
        "nothing more for a ticket reminded as overdue"
    );
    let history = s.ticket_changes(id, first.id).await.expect("history");
    assert_eq!(
        history
            .iter()
            .filter(|c| c.change.kind() == "reminded")
            .count(),
        2
    );

    // Tenancy: another shop sees none of it and cannot record against it.
    let other = shop("other");
    s.create_shop(&other).await.expect("other");
    assert_eq!(s.ticket(other.shop.id, first.id).await.expect("read"), None);
    assert!(
        s.ticket_changes(other.shop.id, first.id)
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        s.list_tickets(other.shop.id, &all, 50)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        s.first_ticket_for_order(other.shop.id, "E1001")
            .await
            .expect("read"),
        None
    );
    let other_owner = agent(other.shop.id, "xiaomei", Role::Agent);
    s.upsert_agent(&other_owner, "h").await.expect("agent");
    let foreign = new_ticket(
        s,
        other.shop.id,
        &draft(buyer.id, Some("E1001"), "串店"),
        other_owner.id,
        at(60),
    )
    .await;
    assert_eq!(
        (foreign.number, foreign.repeat_of),
        (1, None),
        "numbers are per shop"
    );
    let r = Reminder {
        ticket: first.id,
        kind: ReminderKind::Overdue,
        due_at: at(1),
    };
    assert!(matches!(
        s.record_ticket_reminder(other.shop.id, &r.change(at(2)))
            .await,
        Err(StoreError::MissingReference(_))
    ));
}

async fn first_agents_of_a_conversation(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let id = demo.shop.id;
    let a = agent(id, "xiaomei", Role::Agent);
    s.upsert_agent(&a, "h").await.expect("agent");
    let buyer = customer(id, "C1");
    s.upsert_customers(id, std::slice::from_ref(&buyer))
        .await
        .expect("customer");
    let events = decide_shopper_message(
        id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Widget,
            platform: None,
            bot: false,
            queue: QueueRequest::standard(),
        },
        text("快递丢了"),
        at(1),
    );
    let conv = fold_new(None, &events).expect("fold");
    s.append(AppendBatch {
        shop: id,
        events,
        conversation: conv.clone(),
        expected_version: None,
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("append");
    assert_eq!(
        s.first_agents(id, conv.id).await.expect("read"),
        FirstAgents::default(),
        "nobody took it yet"
    );
    let reply = decide_agent_reply(&conv, a.id, text("亲，我查一下"), at(2)).expect("reply");
    let after = fold_new(Some(conv.clone()), &reply).expect("fold");
    s.append(AppendBatch {
        shop: id,
        events: reply,
        conversation: after,
        expected_version: Some(conv.version),
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("append");
    let first = s.first_agents(id, conv.id).await.expect("read");
    assert_eq!(first.assigned, Some(a.id));
    assert_eq!(first.replied, Some(a.id));
    let other = shop("other");
    s.create_shop(&other).await.expect("other");
    assert_eq!(
        s.first_agents(other.shop.id, conv.id).await.expect("read"),
        FirstAgents::default(),
        "no cross-shop reads"
    );
}

both_backends!(tickets_story, first_agents_of_a_conversation);
