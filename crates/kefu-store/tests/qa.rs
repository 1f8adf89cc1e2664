//! Conversation QA rows on both backends: a score written once and replaced by version, overrides
//! that move the effective total by compare-and-set, one appeal per conversation, decisions
//! once, the list's filters and per-agent averages, and no cross-shop reads.

use kefu_domain::*;
use kefu_store::*;
use kefu_testkit::*;

fn record(
    shop: ShopId,
    customer: CustomerId,
    agent: Option<AgentId>,
    closed_ms: i64,
    total: i64,
) -> QaScoreRecord {
    QaScoreRecord {
        shop,
        conversation: ConversationId::new(),
        customer,
        agent,
        closed_at: at(closed_ms),
        scored_at: at(closed_ms),
        auto_total: total,
        total,
        items: r#"[{"item":"timeliness","score":80}]"#.to_owned(),
        rubric: r#"{"timeliness":100}"#.to_owned(),
        rubric_version: 0,
        version: 1,
    }
}

fn review(s: &QaScoreRecord, item: &str, score: i64, by: AgentId, ms: i64) -> QaReview {
    QaReview {
        id: QaReviewId::new(),
        shop: s.shop,
        conversation: s.conversation,
        item: item.to_owned(),
        score,
        comment: "复核".to_owned(),
        reviewer: by,
        at: at(ms),
        appeal: None,
    }
}

async fn qa_story(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    let other = shop("other");
    s.create_shop(&demo).await.expect("shop");
    s.create_shop(&other).await.expect("shop");
    let id = demo.shop.id;
    let (a, b, boss) = (
        agent(id, "xiaomei", Role::Agent),
        agent(id, "aqiang", Role::Agent),
        agent(id, "boss", Role::Supervisor),
    );
    for x in [&a, &b, &boss] {
        s.upsert_agent(x, "h").await.expect("agent");
    }
    let buyer = customer(id, "C1");
    s.upsert_customers(id, std::slice::from_ref(&buyer))
        .await
        .expect("customer");

    // A score is written once; a second first write is a duplicate.
    let first = record(id, buyer.id, Some(a.id), 1_000, 80);
    s.put_qa_score(&first, None).await.expect("score");
    assert!(matches!(
        s.put_qa_score(&first, None).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        s.qa_score(id, first.conversation).await.expect("read"),
        Some(first.clone())
    );
    assert_eq!(
        s.qa_score(other.shop.id, first.conversation)
            .await
            .expect("read"),
        None,
        "no cross-shop reads"
    );

    // An override moves the effective total and the version; a stale one changes nothing.
    let r1 = review(&first, "timeliness", 40, boss.id, 2_000);
    s.add_qa_review(QaOverride {
        review: &r1,
        total: 40,
        expected_version: 1,
    })
    .await
    .expect("review");
    let stale = review(&first, "timeliness", 90, boss.id, 2_500);
    assert!(matches!(
        s.add_qa_review(QaOverride {
            review: &stale,
            total: 90,
            expected_version: 1,
        })
        .await,
        Err(StoreError::Stale(_))
    ));
    let now = s
        .qa_score(id, first.conversation)
        .await
        .expect("read")
        .expect("scored");
    assert_eq!((now.total, now.auto_total, now.version), (40, 80, 2));
    assert_eq!(
        s.qa_reviews(id, first.conversation).await.expect("reviews"),
        vec![r1.clone()]
    );
    // A review without a score is refused.
    let orphan = record(id, buyer.id, Some(a.id), 1_000, 80);
    assert!(matches!(
        s.add_qa_review(QaOverride {
            review: &review(&orphan, "timeliness", 1, boss.id, 1),
            total: 1,
            expected_version: 1,
        })
        .await,
        Err(StoreError::MissingReference(_))
    ));

    // A rescore replaces the scorer's part by version.
    let rescored = QaScoreRecord {
        auto_total: 70,
        total: 35,
        version: 3,
        ..now.clone()
    };
    assert!(matches!(
        s.put_qa_score(&rescored, Some(1)).await,
        Err(StoreError::Stale(_))
    ));
    s.put_qa_score(&rescored, Some(2)).await.expect("rescore");
    assert_eq!(
        s.qa_reviews(id, first.conversation)
            .await
            .expect("reviews")
            .len(),
        1,
        "reviews stay"
    );

    // One appeal per conversation.
    let appeal = QaAppeal {
        id: QaAppealId::new(),
        shop: id,
        conversation: first.conversation,
        agent: a.id,
        item: "timeliness".to_owned(),
        reason: "顾客当时在忙，我一直在线".to_owned(),
        created_at: at(3_000),
        status: QaAppealStatus::Open,
        decided_by: None,
        decision: None,
        decided_at: None,
    };
    s.insert_qa_appeal(&appeal).await.expect("appeal");
    let again = QaAppeal {
        id: QaAppealId::new(),
        ..appeal.clone()
    };
    assert!(matches!(
        s.insert_qa_appeal(&again).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        s.qa_appeal_of(id, first.conversation).await.expect("read"),
        Some(appeal.clone())
    );
    assert_eq!(
        s.qa_appeal(other.shop.id, appeal.id).await.expect("read"),
        None
    );
    assert_eq!(
        s.qa_appeals(id, Some(QaAppealStatus::Open), 10)
            .await
            .expect("list"),
        vec![appeal.clone()]
    );

    // Accepting writes the decision and its override together; deciding twice does nothing.
    let decided = QaAppeal {
        status: QaAppealStatus::Accepted,
        decided_by: Some(boss.id),
        decision: Some("情况属实".to_owned()),
        decided_at: Some(at(4_000)),
        ..appeal.clone()
    };
    let fix = QaReview {
        appeal: Some(appeal.id),
        ..review(&first, "timeliness", 100, boss.id, 4_000)
    };
    let change = QaOverride {
        review: &fix,
        total: 100,
        expected_version: 3,
    };
    assert!(
        s.decide_qa_appeal(&decided, Some(change))
            .await
            .expect("decide")
    );
    assert!(
        !s.decide_qa_appeal(&decided, Some(change))
            .await
            .expect("decide again"),
        "only an open appeal is decided"
    );
    assert_eq!(
        s.qa_appeal(id, appeal.id).await.expect("read"),
        Some(decided)
    );
    let after = s
        .qa_score(id, first.conversation)
        .await
        .expect("read")
        .expect("scored");
    assert_eq!((after.total, after.version), (100, 4));
    assert!(
        s.qa_appeals(id, Some(QaAppealStatus::Open), 10)
            .await
            .expect("list")
            .is_empty()
    );

    // A decision whose override is stale is not written at all.
    let second = record(id, buyer.id, Some(b.id), 5_000, 60);
    s.put_qa_score(&second, None).await.expect("score");
    let appeal2 = QaAppeal {
        id: QaAppealId::new(),
        conversation: second.conversation,
        agent: b.id,
        ..appeal.clone()
    };
    s.insert_qa_appeal(&appeal2).await.expect("appeal");
    let fix2 = review(&second, "politeness", 90, boss.id, 6_000);
    let refused = s
        .decide_qa_appeal(
            &QaAppeal {
                status: QaAppealStatus::Accepted,
                decided_by: Some(boss.id),
                decision: Some("ok".to_owned()),
                decided_at: Some(at(6_000)),
                ..appeal2.clone()
            },
            Some(QaOverride {
                review: &fix2,
                total: 90,
                expected_version: 7,
            }),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Stale(_))), "{refused:?}");
    assert_eq!(
        s.qa_appeal(id, appeal2.id)
            .await
            .expect("read")
            .map(|x| x.status),
        Some(QaAppealStatus::Open),
        "rolled back"
    );

    // The list: newest close first, filtered by agent and time; averages per agent.
    let third = record(id, buyer.id, Some(b.id), 9_000, 90);
    let nobody = record(id, buyer.id, None, 9_500, 50);
    s.put_qa_score(&third, None).await.expect("score");
    s.put_qa_score(&nobody, None).await.expect("score");
    let all = s
        .qa_scores(id, &QaScoreFilter::default(), 100)
        .await
        .expect("list");
    let order: Vec<ConversationId> = all.iter().map(|x| x.conversation).collect();
    assert_eq!(
        order,
        [
            nobody.conversation,
            third.conversation,
            second.conversation,
            first.conversation
        ]
    );
    let only_b = QaScoreFilter {
        agent: Some(b.id),
        from: Some(at(5_000)),
        to: Some(at(9_000)),
    };
    let listed = s.qa_scores(id, &only_b, 100).await.expect("list");
    assert_eq!(
        listed.iter().map(|x| x.conversation).collect::<Vec<_>>(),
        [second.conversation],
        "from is inclusive, to exclusive"
    );
    let mut averages = s
        .qa_agent_averages(id, &QaScoreFilter::default())
        .await
        .expect("averages");
    averages.sort_by_key(|x| x.conversations);
    let expect_b = QaAgentAverage {
        agent: b.id,
        conversations: 2,
        average: 75.0,
    };
    let expect_a = QaAgentAverage {
        agent: a.id,
        conversations: 1,
        average: 100.0,
    };
    assert_eq!(averages, vec![expect_a, expect_b]);
    assert!(
        s.qa_scores(other.shop.id, &QaScoreFilter::default(), 100)
            .await
            .expect("list")
            .is_empty()
    );

    // The customer's latest scored conversation since a time.
    assert_eq!(
        s.latest_qa_score_of_customer(id, buyer.id, at(9_000))
            .await
            .expect("read")
            .map(|x| x.conversation),
        Some(nobody.conversation)
    );
    assert_eq!(
        s.latest_qa_score_of_customer(id, buyer.id, at(10_000))
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        s.open_tickets_of_conversation(id, first.conversation)
            .await
            .expect("count"),
        0
    );
}

both_backends!(qa_story);
