//! One story, run against SQLite and PostgreSQL: both implementations must behave the same.

use kefu_domain::conversation::{
    Opening, decide_agent_reply, decide_bot_rating, decide_bot_turn, decide_close,
    decide_shopper_message, fold_new,
};
use kefu_domain::*;
use kefu_store::*;
use kefu_testkit::*;

async fn shop_agents_and_sessions(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("create shop");
    assert!(matches!(
        s.create_shop(&shop("demo")).await,
        Err(StoreError::Duplicate(_))
    ));
    let found = s.shop_by_slug("demo").await.expect("read").expect("exists");
    assert_eq!(found, demo);
    assert_eq!(s.shop_by_slug("nope").await.expect("read"), None);

    let a = agent(demo.shop.id, "xiaomei", Role::Agent);
    s.upsert_agent(&a, "hash-1").await.expect("agent");
    let mut renamed = a.clone();
    renamed.display_name = "小美".into();
    renamed.id = AgentId::new();
    s.upsert_agent(&renamed, "hash-2")
        .await
        .expect("upsert by username");
    let (stored, hash) = s
        .agent_credentials(demo.shop.id, "xiaomei")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        (stored.id, stored.display_name.as_str(), hash.as_str()),
        (a.id, "小美", "hash-2")
    );

    let other = shop("other");
    s.create_shop(&other).await.expect("other shop");
    assert_eq!(
        s.agent(other.shop.id, a.id).await.expect("read"),
        None,
        "no cross-shop reads"
    );

    let session = Session {
        token_hash: "abc".into(),
        shop: demo.shop.id,
        agent: a.id,
        created_at: at(0),
        expires_at: at(60_000),
    };
    s.create_session(&session).await.expect("session");
    assert_eq!(s.session("abc").await.expect("read"), Some(session));
    s.delete_session("abc").await.expect("logout");
    assert_eq!(s.session("abc").await.expect("read"), None);
}

async fn imports_count_inserts_and_updates(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let id = demo.shop.id;

    let c1 = customer(id, "C00001");
    let c2 = customer(id, "C00002");
    let n = s
        .upsert_customers(id, &[c1.clone(), c2.clone()])
        .await
        .expect("import");
    assert_eq!(
        n,
        ImportCounts {
            inserted: 2,
            updated: 0
        }
    );
    let mut c1b = customer(id, "C00001");
    c1b.nickname = "小鱼妈妈".into();
    let n = s.upsert_customers(id, &[c1b]).await.expect("re-import");
    assert_eq!(
        n,
        ImportCounts {
            inserted: 0,
            updated: 1
        }
    );
    let stored = s
        .customer(id, c1.id)
        .await
        .expect("read")
        .expect("kept its id");
    assert_eq!(stored.nickname, "小鱼妈妈");

    let p = product(id, "DP-M-58", "云柔纸尿裤 M 58片", 12_900);
    assert_eq!(
        s.upsert_products(id, std::slice::from_ref(&p))
            .await
            .expect("products"),
        ImportCounts {
            inserted: 1,
            updated: 0
        }
    );
    let o = order(id, c1.id, "2026112500001", &p);
    s.upsert_orders(id, std::slice::from_ref(&o))
        .await
        .expect("orders");
    let orders = s.customer_orders(id, c1.id, 5).await.expect("read");
    assert_eq!(orders, vec![o.clone()]);
    let stats = s.customer_order_stats(id, c1.id).await.expect("stats");
    assert_eq!(
        stats,
        OrderStats {
            order_count: 1,
            total_spent_fen: 25_800
        }
    );

    // An order of a customer of another shop is refused and nothing is written.
    let other = shop("other");
    s.create_shop(&other).await.expect("other");
    let foreign = customer(other.shop.id, "C00001");
    s.upsert_customers(other.shop.id, std::slice::from_ref(&foreign))
        .await
        .expect("import");
    let bad = order(id, foreign.id, "2026112500002", &p);
    assert!(matches!(
        s.upsert_orders(id, &[bad]).await,
        Err(StoreError::MissingReference(_))
    ));
    assert_eq!(s.counts(id).await.expect("counts").orders, 1);
}

async fn conversations_append_conflict_idempotency_and_rebuild(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let shop_id = demo.shop.id;
    let buyer = s
        .ensure_customer(&customer(shop_id, "tb_1"))
        .await
        .expect("customer");
    let again = s
        .ensure_customer(&customer(shop_id, "tb_1"))
        .await
        .expect("same customer");
    assert_eq!(again.id, buyer.id);
    let a = agent(shop_id, "aqiang", Role::Agent);
    s.upsert_agent(&a, "h").await.expect("agent");

    // The shopper writes: a conversation opens.
    let events = decide_shopper_message(
        shop_id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Webhook,
            platform: Some("taobao".into()),
            bot: false,
            queue: QueueRequest::standard(),
        },
        text("你好，纸尿裤什么时候发货？"),
        at(1),
    );
    let conv = fold_new(None, &events).expect("fold");
    let key = IdempotencyRecord {
        key: "delivery-1".into(),
        request_hash: "h1".into(),
        status: 202,
        response: "{}".into(),
        created_at: at(1),
    };
    let first_message = events
        .iter()
        .find_map(|e| e.message())
        .expect("a message event")
        .id;
    let analysis = MessageAnalysis {
        message: first_message,
        conversation: conv.id,
        sender: Sender::Shopper,
        at: at(1),
        analyzer: "test-1".into(),
        sentiment: "negative".into(),
        score: -0.625,
        emotion: Some("anxiety".into()),
        intensity: 0.5,
        body: r#"{"hits":[]}"#.into(),
    };
    let appended = s
        .append(AppendBatch {
            shop: shop_id,
            events: events.clone(),
            conversation: conv.clone(),
            expected_version: None,
            idempotency: Some(key.clone()),
            analyses: vec![analysis.clone()],
        })
        .await
        .expect("append");
    assert_eq!(appended.seqs.len(), 3, "opened, posted, queued");
    assert!(appended.seqs[0] < appended.seqs[1]);
    assert_eq!(
        s.idempotent_response(shop_id, "delivery-1")
            .await
            .expect("read"),
        Some(key.clone())
    );

    // The same delivery again is refused whole: no second conversation, no second message.
    let retry = decide_shopper_message(
        shop_id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Webhook,
            platform: None,
            bot: false,
            queue: QueueRequest::standard(),
        },
        text("你好"),
        at(2),
    );
    let retry_conv = fold_new(None, &retry).expect("fold");
    let refused = s
        .append(AppendBatch {
            shop: shop_id,
            events: retry,
            conversation: retry_conv,
            expected_version: None,
            idempotency: Some(key),
            analyses: Vec::new(),
        })
        .await;
    assert!(matches!(refused, Err(StoreError::IdempotencyKeyTaken)));
    // A second open conversation for the same shopper is a conflict, not a duplicate.
    let second = decide_shopper_message(
        shop_id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Widget,
            platform: None,
            bot: false,
            queue: QueueRequest::standard(),
        },
        text("在吗"),
        at(3),
    );
    let second_conv = fold_new(None, &second).expect("fold");
    let conflict = s
        .append(AppendBatch {
            shop: shop_id,
            events: second,
            conversation: second_conv,
            expected_version: None,
            idempotency: None,
            analyses: Vec::new(),
        })
        .await;
    assert!(matches!(conflict, Err(StoreError::Conflict(_))));
    assert_eq!(s.counts(shop_id).await.expect("counts").messages, 1);

    // The agent replies; a stale writer is refused.
    let stored = s
        .open_conversation_of(shop_id, buyer.id)
        .await
        .expect("read")
        .expect("open");
    assert_eq!(stored, conv);
    let reply =
        decide_agent_reply(&stored, a.id, text("亲，今天下单今天发货哦～"), at(4)).expect("reply");
    let after = fold_new(Some(stored.clone()), &reply).expect("fold");
    s.append(AppendBatch {
        shop: shop_id,
        events: reply.clone(),
        conversation: after.clone(),
        expected_version: Some(stored.version),
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("reply appended");
    let stale = s
        .append(AppendBatch {
            shop: shop_id,
            events: reply,
            conversation: after.clone(),
            expected_version: Some(stored.version),
            idempotency: None,
            analyses: Vec::new(),
        })
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))));

    let messages = s.messages(shop_id, conv.id, 50).await.expect("messages");
    let texts: Vec<_> = messages
        .iter()
        .map(|m| (m.sender.kind(), m.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("shopper", "你好，纸尿裤什么时候发货？"),
            ("agent", "亲，今天下单今天发货哦～")
        ]
    );
    assert_eq!(messages[1].sender, Sender::Agent { agent: a.id });

    let close = decide_close(&after, Sender::Agent { agent: a.id }, at(5)).expect("close");
    let closed = fold_new(Some(after.clone()), std::slice::from_ref(&close)).expect("fold");
    s.append(AppendBatch {
        shop: shop_id,
        events: vec![close],
        conversation: closed.clone(),
        expected_version: Some(after.version),
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("closed");
    assert_eq!(
        s.open_conversation_of(shop_id, buyer.id)
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        s.list_conversations(shop_id, ConversationFilter::Open, 50)
            .await
            .expect("list"),
        vec![]
    );
    assert_eq!(
        s.list_conversations(shop_id, ConversationFilter::Closed, 50)
            .await
            .expect("list"),
        vec![closed.clone()]
    );

    // Other shops see nothing.
    let other = shop("other");
    s.create_shop(&other).await.expect("other");
    assert_eq!(
        s.conversation(other.shop.id, conv.id).await.expect("read"),
        None
    );
    assert!(
        s.messages(other.shop.id, conv.id, 50)
            .await
            .expect("read")
            .is_empty()
    );

    // The projections are exactly what the log says.
    let rebuilt = s.rebuild_projections(shop_id).await.expect("rebuild");
    assert_eq!(rebuilt, 1);
    assert_eq!(
        s.conversation(shop_id, conv.id).await.expect("read"),
        Some(closed)
    );
    assert_eq!(
        s.messages(shop_id, conv.id, 50).await.expect("read"),
        messages
    );
    let log = s.events(shop_id, 0, 100).await.expect("log");
    assert_eq!(log.len(), 6);
    assert_eq!(
        s.message_analyses(shop_id, conv.id).await.expect("read"),
        vec![analysis],
        "the analysis is stored with the message and survives a rebuild"
    );
    assert!(
        s.message_analyses(other.shop.id, conv.id)
            .await
            .expect("read")
            .is_empty()
    );
}

async fn concurrent_appends_are_grouped_and_all_durable(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = t.store.clone();
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let shop_id = demo.shop.id;
    let agent = AgentId::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let c = s
                .ensure_customer(&customer(shop_id, &format!("buyer-{i}")))
                .await
                .expect("customer");
            let events = decide_shopper_message(
                shop_id,
                c.id,
                None,
                Opening {
                    channel: Channel::Api,
                    platform: None,
                    bot: false,
                    queue: QueueRequest::standard(),
                },
                text("在吗在吗"),
                at(i),
            );
            let conv = fold_new(None, &events).expect("fold");
            s.append(AppendBatch {
                shop: shop_id,
                events,
                conversation: conv.clone(),
                expected_version: None,
                idempotency: None,
                analyses: Vec::new(),
            })
            .await
            .expect("append");
            // Replies to many conversations at once go through the writer's bulk update.
            let reply = decide_agent_reply(&conv, agent, text("在的亲"), at(i + 1)).expect("reply");
            let replied = fold_new(Some(conv.clone()), &reply).expect("fold");
            s.append(AppendBatch {
                shop: shop_id,
                events: reply,
                conversation: replied,
                expected_version: Some(conv.version),
                idempotency: None,
                analyses: Vec::new(),
            })
            .await
            .expect("reply appended")
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let counts = s.counts(shop_id).await.expect("counts");
    assert_eq!(
        (counts.conversations, counts.messages, counts.events),
        (200, 400, 1000)
    );
    let waiting = s
        .list_conversations(shop_id, ConversationFilter::Open, 1_000)
        .await
        .expect("list");
    assert!(
        waiting
            .iter()
            .all(|c| c.state == ConversationState::Waiting && c.version == 5)
    );
    assert_eq!(s.rebuild_projections(shop_id).await.expect("rebuild"), 200);
    assert_eq!(
        s.list_conversations(shop_id, ConversationFilter::Open, 1_000)
            .await
            .expect("list"),
        waiting
    );
}

fn entry(shop: ShopId, key: Option<&str>, question: &str) -> KnowledgeEntry {
    KnowledgeEntry {
        id: KnowledgeEntryId::new(),
        shop,
        fields: EntryDraft {
            key: key.map(str::to_owned),
            question: question.into(),
            similar: vec!["几天发".into(), "啥时候发货呀".into()],
            answer: "亲，16点前付款当天发出哦，单号{order.tracking_no}".into(),
            tags: vec!["物流".into()],
            products: Vec::new(),
            valid_from: Some("2026-12-01".into()),
            valid_to: None,
        },
        status: EntryStatus::Draft,
        version: 1,
        created_at: at(1_000),
        updated_at: at(1_000),
        stats: KnowledgeStats::default(),
    }
}

async fn knowledge_entries_lifecycle_import_and_settings(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("create shop");
    let other = shop("other");
    s.create_shop(&other).await.expect("other shop");
    let shop_id = demo.shop.id;

    let first = entry(shop_id, Some("kb-001"), "什么时候发货");
    s.insert_knowledge_entry(&first).await.expect("insert");
    assert!(matches!(
        s.insert_knowledge_entry(&entry(shop_id, Some("kb-001"), "别的问题"))
            .await,
        Err(StoreError::Duplicate(_))
    ));
    // Keys are per shop, and entries without one never collide.
    s.insert_knowledge_entry(&entry(other.shop.id, Some("kb-001"), "什么时候发货"))
        .await
        .expect("same key in another shop");
    s.insert_knowledge_entry(&entry(shop_id, None, "有赠品吗"))
        .await
        .expect("no key");
    s.insert_knowledge_entry(&entry(shop_id, None, "能开发票吗"))
        .await
        .expect("no key");
    assert_eq!(
        s.knowledge_entry(shop_id, first.id).await.expect("read"),
        Some(first.clone())
    );
    assert_eq!(
        s.knowledge_entry(other.shop.id, first.id)
            .await
            .expect("read"),
        None
    );

    // An edit names the version it read; a second edit from the same read is stale.
    let published = KnowledgeEntry {
        status: EntryStatus::Published,
        version: 2,
        updated_at: at(2_000),
        ..first.clone()
    };
    s.update_knowledge_entry(&published, 1)
        .await
        .expect("update");
    assert!(matches!(
        s.update_knowledge_entry(&published, 1).await,
        Err(StoreError::Stale(_))
    ));
    s.add_knowledge_stats(
        shop_id,
        first.id,
        KnowledgeStats {
            hits: 3,
            helpful: 2,
            unhelpful: 1,
            handoffs: 1,
        },
    )
    .await
    .expect("stats");
    let read = s
        .knowledge_entry(shop_id, first.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        (read.status, read.version, read.stats.hits),
        (EntryStatus::Published, 2, 3)
    );
    assert_eq!(read.stats.helpful_rate(), Some(2.0 / 3.0));

    // Import: a known key replaces fields and status but keeps id, statistics and creation.
    let mut reimported = entry(shop_id, Some("kb-001"), "多久发货");
    reimported.status = EntryStatus::Retired;
    let new_one = entry(shop_id, Some("kb-002"), "发什么快递");
    let counts = s
        .import_knowledge(shop_id, &[reimported, new_one])
        .await
        .expect("import");
    assert_eq!((counts.inserted, counts.updated), (1, 1));
    let all = s.knowledge_entries(shop_id).await.expect("list");
    assert_eq!(all.len(), 4);
    let kept = all.iter().find(|e| e.id == first.id).expect("same id");
    assert_eq!(
        (
            kept.fields.question.as_str(),
            kept.status,
            kept.version,
            kept.stats.hits
        ),
        ("多久发货", EntryStatus::Retired, 3, 3)
    );
    assert_eq!(
        s.knowledge_entries(other.shop.id)
            .await
            .expect("list")
            .len(),
        1
    );

    assert!(
        s.delete_knowledge_entry(shop_id, first.id)
            .await
            .expect("delete")
    );
    assert!(
        !s.delete_knowledge_entry(shop_id, first.id)
            .await
            .expect("again")
    );

    assert_eq!(s.shop_setting(shop_id, "bot").await.expect("read"), None);
    s.put_shop_setting(shop_id, "bot", r#"{"answer_threshold":0.6}"#, at(5))
        .await
        .expect("put");
    s.put_shop_setting(shop_id, "bot", r#"{"answer_threshold":0.7}"#, at(6))
        .await
        .expect("replace");
    assert_eq!(
        s.shop_setting(shop_id, "bot")
            .await
            .expect("read")
            .as_deref(),
        Some(r#"{"answer_threshold":0.7}"#)
    );
    assert_eq!(
        s.shop_setting(other.shop.id, "bot").await.expect("read"),
        None
    );
}

/// Appends freshly decided events to `conv` and returns the new state.
async fn append_to(
    s: &dyn Store,
    conv: Option<Conversation>,
    events: Vec<Envelope>,
) -> Conversation {
    let expected = conv.as_ref().map(|c| c.version);
    let shop = events[0].shop;
    let next = fold_new(conv, &events).expect("valid events");
    s.append(AppendBatch {
        shop,
        events,
        conversation: next.clone(),
        expected_version: expected,
        idempotency: None,
        analyses: Vec::new(),
    })
    .await
    .expect("append");
    next
}

async fn bot_turns_counters_and_rebuild(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let shop_id = demo.shop.id;
    let buyer = s
        .ensure_customer(&customer(shop_id, "tb_1"))
        .await
        .expect("customer");
    let kb = entry(shop_id, Some("kb-022"), "我的快递到哪了");
    s.insert_knowledge_entry(&kb).await.expect("entry");

    let opened = decide_shopper_message(
        shop_id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Widget,
            platform: None,
            bot: true,
            queue: QueueRequest::standard(),
        },
        text("快递到哪了"),
        at(1),
    );
    let question = opened[1].message().expect("message").id;
    let conv = append_to(s, None, opened).await;
    let answer = BotDecision::Answer {
        entry: kb.id,
        confidence: 870,
    };
    let turn = decide_bot_turn(
        &conv,
        question,
        answer.clone(),
        text("已发货"),
        QueueRequest::standard(),
        at(2),
    )
    .expect("bot");
    let reply = turn[1].message().expect("reply").id;
    let conv = append_to(s, Some(conv), turn).await;
    let rating = decide_bot_rating(&conv, reply, kb.id, false, at(3)).expect("open");
    let conv = append_to(s, Some(conv), vec![rating]).await;

    let asked = decide_shopper_message(
        shop_id,
        buyer.id,
        Some(&conv),
        Opening {
            channel: Channel::Widget,
            platform: None,
            bot: true,
            queue: QueueRequest::standard(),
        },
        text("你们仓库在火星吗"),
        at(4),
    );
    let second = asked[0].message().expect("message").id;
    let conv = append_to(s, Some(conv), asked).await;
    let hand_off = BotDecision::HandOff {
        reason: HandOffReason::LowConfidence,
        confidence: 120,
        after: Some(kb.id),
        summary: HandOffSummary {
            topic: None,
            question: "你们仓库在火星吗".into(),
            emotion: None,
            order: None,
        },
    };
    let turn = decide_bot_turn(
        &conv,
        second,
        hand_off.clone(),
        text("转人工"),
        QueueRequest::standard(),
        at(5),
    )
    .expect("bot");
    let conv = append_to(s, Some(conv), turn).await;
    assert_eq!(conv.state, ConversationState::Queued);

    // The stored conversation remembers the bot's turns as the fold does.
    assert_eq!(
        s.conversation(shop_id, conv.id)
            .await
            .expect("read")
            .as_ref(),
        Some(&conv)
    );
    let turns = s.bot_turns(shop_id, conv.id).await.expect("turns");
    assert_eq!(turns.len(), 2);
    assert_eq!(
        (
            &turns[0].decision,
            turns[0].question_text.as_str(),
            turns[0].helpful
        ),
        (&answer, "快递到哪了", Some(false))
    );
    assert_eq!(turns[1].decision, hand_off);
    assert_eq!(
        s.bot_turn_by_reply(shop_id, reply)
            .await
            .expect("read")
            .map(|t| t.question),
        Some(question)
    );
    assert_eq!(
        s.bot_turn_by_reply(ShopId::new(), reply)
            .await
            .expect("read"),
        None,
        "another shop sees nothing"
    );
    let unanswered = s
        .unanswered_questions(shop_id, at(0), 10)
        .await
        .expect("unanswered");
    assert_eq!(
        unanswered
            .iter()
            .map(|t| t.question_text.as_str())
            .collect::<Vec<_>>(),
        ["你们仓库在火星吗"]
    );
    assert!(
        s.unanswered_questions(shop_id, at(6), 10)
            .await
            .expect("unanswered")
            .is_empty()
    );

    // Counters follow the log: one hit, one unhelpful vote, one hand-off after the answer.
    let counted = |e: KnowledgeEntry| {
        (
            e.stats.hits,
            e.stats.helpful,
            e.stats.unhelpful,
            e.stats.handoffs,
        )
    };
    let read = s
        .knowledge_entry(shop_id, kb.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(counted(read), (1, 0, 1, 1));

    // A rebuild reproduces the projection and does not count twice.
    s.rebuild_projections(shop_id).await.expect("rebuild");
    assert_eq!(s.bot_turns(shop_id, conv.id).await.expect("turns"), turns);
    assert_eq!(
        s.conversation(shop_id, conv.id)
            .await
            .expect("read")
            .as_ref(),
        Some(&conv)
    );
    let read = s
        .knowledge_entry(shop_id, kb.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(counted(read), (1, 0, 1, 1));
}

async fn presence_waiting_and_the_log_by_kind(backend: TestBackend) {
    use kefu_domain::conversation::{decide_send_back, decide_sla_signal};
    let t = TestStore::new(backend).await;
    let s = &*t.store;
    let demo = shop("demo");
    s.create_shop(&demo).await.expect("shop");
    let other = shop("other");
    s.create_shop(&other).await.expect("shop");
    let shop_id = demo.shop.id;
    let mei = agent(shop_id, "xiaomei", Role::Agent);
    s.upsert_agent(&mei, "h").await.expect("agent");
    let stranger = agent(other.shop.id, "x", Role::Agent);
    s.upsert_agent(&stranger, "h").await.expect("agent");

    assert!(
        s.agent_presence(shop_id).await.expect("read").is_empty(),
        "offline by default"
    );
    s.set_agent_status(shop_id, mei.id, AgentStatus::Online, at(1))
        .await
        .expect("online");
    s.set_agent_status(shop_id, mei.id, AgentStatus::Away, at(2))
        .await
        .expect("away");
    assert_eq!(
        s.agent_presence(shop_id).await.expect("read"),
        [AgentPresence {
            agent: mei.id,
            status: AgentStatus::Away,
            since: at(2)
        }]
    );
    assert!(matches!(
        s.set_agent_status(shop_id, stranger.id, AgentStatus::Online, at(3))
            .await,
        Err(StoreError::MissingReference(_))
    ));
    assert!(
        s.agent_presence(other.shop.id)
            .await
            .expect("read")
            .is_empty()
    );

    let buyer = s
        .ensure_customer(&customer(shop_id, "tb_1"))
        .await
        .expect("customer");
    let vip = QueueRequest {
        priority: Priority::Vip,
        skill: Some("物流".into()),
        ..QueueRequest::standard()
    };
    let opened = decide_shopper_message(
        shop_id,
        buyer.id,
        None,
        Opening {
            channel: Channel::Widget,
            platform: None,
            bot: false,
            queue: vip.clone(),
        },
        text("快递丢了"),
        at(10),
    );
    let conv = append_to(s, None, opened).await;
    let conv = append_to(
        s,
        Some(conv.clone()),
        vec![kefu_domain::conversation::decide_assign(&conv, mei.id, at(11)).expect("queued")],
    )
    .await;
    let signal = SlaSignal {
        clock: SlaClock::FirstResponse,
        level: SlaLevel::Breach,
        burst: at(10),
        at: at(25),
        agent: Some(mei.id),
    };
    let conv = append_to(
        s,
        Some(conv.clone()),
        vec![decide_sla_signal(&conv, signal, at(25)).expect("open")],
    )
    .await;
    let back = decide_send_back(&conv, SendBackReason::Offline, vip, at(30)).expect("held");
    let conv = append_to(s, Some(conv), vec![back]).await;
    let stored = s
        .conversation(shop_id, conv.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        stored, conv,
        "waiting (priority, skill, sent back) round-trips"
    );
    assert_eq!(
        stored
            .waiting
            .as_ref()
            .and_then(|w| w.sent_back)
            .map(|b| b.agent),
        Some(mei.id)
    );
    assert_eq!(
        s.open_conversations(shop_id).await.expect("open"),
        std::slice::from_ref(&conv)
    );
    let events = s
        .conversation_events(shop_id, conv.id)
        .await
        .expect("events");
    assert_eq!(events.len(), 6);
    let signals = s
        .events_of_kinds(shop_id, &["sla_signaled", "queued"], at(20), 10)
        .await
        .expect("kinds");
    assert_eq!(
        signals.len(),
        2,
        "the signal and the send-back, not the opening's queueing"
    );
    assert!(
        s.events_of_kinds(other.shop.id, &["queued"], at(0), 10)
            .await
            .expect("kinds")
            .is_empty()
    );
    assert_eq!(s.rebuild_projections(shop_id).await.expect("rebuild"), 1);
    assert_eq!(
        s.conversation(shop_id, conv.id).await.expect("read"),
        Some(conv)
    );
}

both_backends!(
    shop_agents_and_sessions,
    presence_waiting_and_the_log_by_kind,
    imports_count_inserts_and_updates,
    conversations_append_conflict_idempotency_and_rebuild,
    concurrent_appends_are_grouped_and_all_durable,
    knowledge_entries_lifecycle_import_and_settings,
    bot_turns_counters_and_rebuild,
);
