//! Supervisor alerts on both backends: one open alert per kind and subject, the lifecycle and
//! its history written with the alert, stale writes refused, the hourly tallies, an escalated
//! conversation read back, and no cross-shop reads.

use kefu_domain::alert::*;
use kefu_domain::conversation::{Opening, decide_raise_priority, decide_shopper_message, fold_new};
use kefu_domain::*;
use kefu_store::*;
use kefu_testkit::*;

fn trouble(kind: AlertKind, subject: &str, severity: Severity) -> Trouble {
    Trouble {
        kind,
        subject: subject.to_owned(),
        severity,
        title: format!("{} {subject}", kind.as_str()),
        detail: "再不退款就打12315".to_owned(),
        conversation: None,
        agent: None,
    }
}

async fn alerts_story(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    let other = shop("other");
    s.create_shop(&demo).await.expect("shop");
    s.create_shop(&other).await.expect("shop");
    let id = demo.shop.id;
    let boss = agent(id, "boss", Role::Supervisor);
    s.upsert_agent(&boss, "h").await.expect("agent");
    let t0 = at(1_714_528_800_000);

    let (mut a, raised) = Alert::raise(id, trouble(AlertKind::RiskWords, "c1", Severity::Red), t0);
    s.insert_alert(&a, &raised).await.expect("insert");
    // A second open alert of the same kind and subject is refused; another subject is not.
    let (twin, twin_raised) = Alert::raise(
        id,
        trouble(AlertKind::RiskWords, "c1", Severity::Yellow),
        t0,
    );
    assert!(matches!(
        s.insert_alert(&twin, &twin_raised).await,
        Err(StoreError::Duplicate(_))
    ));
    let (b, b_raised) = Alert::raise(id, trouble(AlertKind::Emotion, "c1", Severity::Yellow), t0);
    s.insert_alert(&b, &b_raised).await.expect("another kind");

    let open = s
        .open_alert(id, AlertKind::RiskWords, "c1")
        .await
        .expect("read")
        .expect("open");
    assert_eq!(open, a);

    // Bump and deliver in one write, with both entries.
    let expected = a.version;
    let bumped = a
        .bump(
            &trouble(AlertKind::RiskWords, "c1", Severity::Red),
            t0.plus_millis(1_000),
        )
        .expect("open");
    let delivered = a
        .delivered(Sink::Wecom, t0.plus_millis(2_000))
        .expect("raised");
    s.update_alert(&a, expected, &[bumped, delivered])
        .await
        .expect("update");
    // A write from the old version is stale and changes nothing.
    let mut stale = open.clone();
    let ack = stale
        .acknowledge(boss.id, "x", t0.plus_millis(3_000))
        .expect("ack");
    assert!(matches!(
        s.update_alert(&stale, expected, &[ack]).await,
        Err(StoreError::Stale(_))
    ));
    let failed = a.failed(Sink::Dingtalk, 3, "HTTP 500", t0.plus_millis(2_500));
    s.record_alert_change(id, &failed).await.expect("record");

    let expected = a.version;
    let ack = a
        .acknowledge(boss.id, "在处理", t0.plus_millis(60_000))
        .expect("ack");
    let done = a
        .resolve(boss.id, "已联系顾客", t0.plus_millis(120_000))
        .expect("resolve");
    s.update_alert(&a, expected, &[ack, done])
        .await
        .expect("update");
    let back = s.alert(id, a.id).await.expect("read").expect("found");
    assert_eq!(back, a);
    assert_eq!(
        (back.state, back.count, back.delivered_via, back.resolved_by),
        (AlertState::Resolved, 2, Some(Sink::Wecom), Some(boss.id))
    );
    let history: Vec<(&str, String)> = s
        .alert_changes(id, a.id)
        .await
        .expect("history")
        .iter()
        .map(|c| (c.change.kind(), c.note.clone()))
        .collect();
    assert_eq!(
        history,
        [
            ("raised", String::new()),
            ("bumped", String::new()),
            ("delivered", String::new()),
            ("delivery_failed", "HTTP 500".to_owned()),
            ("acknowledged", "在处理".to_owned()),
            ("resolved", "已联系顾客".to_owned()),
        ]
    );

    // Resolved, the slot is free for a new alert of the same kind and subject.
    assert_eq!(
        s.open_alert(id, AlertKind::RiskWords, "c1")
            .await
            .expect("read"),
        None
    );
    let (c, c_raised) = Alert::raise(
        id,
        trouble(AlertKind::RiskWords, "c1", Severity::Red),
        t0.plus_millis(200_000),
    );
    s.insert_alert(&c, &c_raised).await.expect("new occurrence");

    let open: Vec<AlertId> = s
        .list_alerts(id, true, 50)
        .await
        .expect("list")
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(open, [c.id, b.id], "newest first");
    assert_eq!(s.list_alerts(id, false, 50).await.expect("list").len(), 3);
    assert_eq!(s.list_alerts(id, false, 1).await.expect("list").len(), 1);

    // Another shop sees none of it and cannot write to it.
    let o = other.shop.id;
    assert!(s.list_alerts(o, false, 50).await.expect("list").is_empty());
    assert_eq!(s.alert(o, a.id).await.expect("read"), None);
    assert!(s.alert_changes(o, a.id).await.expect("read").is_empty());
    assert!(matches!(
        s.record_alert_change(o, &failed).await,
        Err(StoreError::MissingReference(_))
    ));
    let mut foreign = c.clone();
    foreign.shop = o;
    let expected = foreign.version;
    let ack = foreign.acknowledge(boss.id, "", t0).expect("ack");
    assert!(matches!(
        s.update_alert(&foreign, expected, &[ack]).await,
        Err(StoreError::Stale(_))
    ));
}

async fn tallies_by_hour(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let id = demo.shop.id;
    let hour = at(1_714_528_800_000);
    let week = 7 * 24 * 3_600_000;
    assert_eq!(
        s.add_tally(id, "complaints", hour, 1).await.expect("add"),
        1
    );
    assert_eq!(
        s.add_tally(id, "complaints", hour, 2).await.expect("add"),
        3
    );
    assert_eq!(s.add_tally(id, "tickets", hour, 1).await.expect("add"), 1);
    s.add_tally(id, "complaints", hour.plus_millis(-week), 4)
        .await
        .expect("add");
    let hours = [hour, hour.plus_millis(-week), hour.plus_millis(-2 * week)];
    assert_eq!(
        s.tallies(id, "complaints", &hours).await.expect("read"),
        [3, 4, 0]
    );
    // Concurrent counting loses nothing.
    let store = t.store.clone();
    let adds = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.add_tally(id, "burst", hour, 1).await })
    });
    for a in adds {
        a.await.expect("join").expect("add");
    }
    assert_eq!(s.tallies(id, "burst", &[hour]).await.expect("read"), [20]);
    assert!(matches!(
        s.add_tally(ShopId::new(), "complaints", hour, 1).await,
        Err(StoreError::MissingReference(_))
    ));
}

async fn an_escalated_conversation_reads_back(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let id = demo.shop.id;
    let buyer = customer(id, "C1");
    s.upsert_customers(id, std::slice::from_ref(&buyer))
        .await
        .expect("customer");
    let t0 = at(1_714_528_800_000);
    let opened = decide_shopper_message(
        id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Widget,
            platform: None,
            bot: false,
            queue: QueueRequest::standard(),
        },
        text("气死了"),
        t0,
    );
    let c = fold_new(None, &opened).expect("opens");
    s.append(AppendBatch {
        shop: id,
        events: opened,
        conversation: c.clone(),
        expected_version: None,
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("append");
    let raised = decide_raise_priority(
        &c,
        Priority::Complaint,
        RaiseReason::NegativeWords,
        t0.plus_millis(1),
    )
    .expect("open");
    let next = fold_new(Some(c.clone()), std::slice::from_ref(&raised)).expect("applies");
    s.append(AppendBatch {
        shop: id,
        events: vec![raised],
        conversation: next.clone(),
        expected_version: Some(c.version),
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("append");
    let back = s
        .conversation(id, c.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(back, next);
    assert_eq!(
        back.escalation.map(|e| (e.priority, e.reason)),
        Some((Priority::Complaint, RaiseReason::NegativeWords))
    );
    assert_eq!(back.waiting.map(|w| w.priority), Some(Priority::Complaint));
    // The rebuild folds the same escalation from the log.
    s.rebuild_projections(id).await.expect("rebuild");
    assert_eq!(
        s.conversation(id, c.id)
            .await
            .expect("read")
            .expect("found"),
        next
    );
}

both_backends!(
    alerts_story,
    tallies_by_hour,
    an_escalated_conversation_reads_back
);
