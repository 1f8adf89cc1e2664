//! Routing, SLA clocks and offline messages through the API, with the test's manual clock
//! driving the timers (`kefu_server::desk::tick`).

use kefu_domain::*;
use kefu_server::auth::hash_password;
use kefu_server::desk;
use kefu_store::Store;
use kefu_testkit::*;
use serde_json::{Value, json};

/// A second standard agent, added before the desk is first built.
async fn second_agent(app: &TestApp, username: &str) -> Agent {
    let agent = agent(app.shop.id(), username, Role::Agent);
    let hash = hash_password(PASSWORD).expect("hash");
    app.store
        .store
        .upsert_agent(&agent, &hash)
        .await
        .expect("agent");
    agent
}

async fn go(app: &TestApp, token: &str, status: &str) {
    let a = app
        .post(
            "/api/v1/desk/status",
            Some(token),
            &json!({"status": status}),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
}

/// A new anonymous shopper writes; returns their token and conversation id.
async fn shopper_writes(app: &TestApp, nickname: &str, text: &str) -> (String, String) {
    let s = app
        .post(
            "/api/v1/widget/sessions",
            None,
            &json!({"shop": "demo", "nickname": nickname}),
        )
        .await;
    let token = s.body["token"].as_str().expect("token").to_owned();
    let m = app
        .post(
            "/api/v1/widget/messages",
            Some(&token),
            &json!({"text": text}),
        )
        .await;
    assert_eq!(m.status, 201, "{:?}", m.body);
    let id = m.body["conversation_id"].as_str().expect("id").to_owned();
    (token, id)
}

async fn conversation(app: &TestApp, token: &str, id: &str) -> Value {
    let d = app
        .get(&format!("/api/v1/conversations/{id}"), Some(token))
        .await;
    assert_eq!(d.status, 200, "{:?}", d.body);
    d.body["conversation"].clone()
}

async fn put_settings(app: &TestApp, token: &str, body: Value) {
    let a = app
        .send(
            app.client
                .put(app.url("/api/v1/settings/service"))
                .bearer_auth(token)
                .json(&body),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
}

/// A second server over the same store and clock: what a restart sees.
fn restart(app: &TestApp) -> kefu_server::AppState {
    kefu_server::AppState::new(
        app.store.store.clone(),
        std::sync::Arc::new(kefu_bus::InProcessBus::new()),
        app.clock.clone(),
        b"another-visitor-key-0123456789abcdef".to_vec(),
        kefu_server::Limits::default(),
    )
}

async fn signals(app: &TestApp) -> Vec<Envelope> {
    app.store
        .store
        .events_of_kinds(
            app.shop.id(),
            &["sla_signaled"],
            Timestamp::from_millis(0),
            1_000,
        )
        .await
        .expect("events")
}

async fn hand_offs_wait_in_order_and_go_to_the_least_loaded_online_agent(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let aqiang = second_agent(&app, "aqiang").await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let qiang = app.login(&app.shop, &aqiang).await;

    let (first, a) = shopper_writes(&app, "甲", "你好，在吗").await;
    let (second, b) = shopper_writes(&app, "乙", "请问有优惠吗").await;
    let mut second_live = app.live(&second).await;
    let waiting = app.get("/api/v1/widget/queue", Some(&second)).await;
    assert_eq!(
        (
            &waiting.body["waiting"],
            &waiting.body["position"],
            &waiting.body["estimated_wait_ms"]
        ),
        (&json!(true), &json!(1), &Value::Null),
        "second in line, nobody online: {:?}",
        waiting.body
    );
    let view = conversation(&app, &mei, &a).await;
    assert_eq!(view["state"], "queued");
    assert_eq!(view["waiting"]["priority"], "normal");
    assert_eq!(view["sla"]["clock"], "first_response");

    // 小美 comes online and takes both; the waiting shopper hears they are being connected.
    go(&app, &mei, "online").await;
    let mine = app.get("/api/v1/desk/status", Some(&mei)).await;
    assert_eq!(mine.body["status"], "online");
    for id in [&a, &b] {
        let view = conversation(&app, &mei, id).await;
        assert_eq!(view["state"], "assigned");
        assert_eq!(view["assigned_agent_id"], app.shop.agent.id.to_string());
        assert!(view["waiting"].is_null());
    }
    let status = second_live.next_of("queue.status").await;
    assert_eq!(
        (&status["conversation_id"], &status["waiting"]),
        (&json!(b), &json!(false))
    );
    let none = app.get("/api/v1/widget/queue", Some(&first)).await;
    assert_eq!(none.body["waiting"], false);

    // 阿强 comes online: the next shopper goes to him, the less loaded.
    go(&app, &qiang, "online").await;
    let (_, c) = shopper_writes(&app, "丙", "发货了吗").await;
    let view = conversation(&app, &mei, &c).await;
    assert_eq!(view["assigned_agent_id"], aqiang.id.to_string());

    let overview = app.get("/api/v1/desk", Some(&mei)).await;
    assert_eq!(overview.status, 200);
    let load = |name: &str| {
        overview.body["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .find(|a| a["agent"]["username"] == name)
            .map(|a| (a["status"].clone(), a["active"].clone()))
    };
    assert_eq!(load("xiaomei"), Some((json!("online"), json!(2))));
    assert_eq!(load("aqiang"), Some((json!("online"), json!(1))));
    assert_eq!(load("boss"), Some((json!("offline"), json!(0))));
    assert_eq!(overview.body["today"]["reached_people"], 3);

    // A reply by someone else takes a waiting conversation: the queue forgets it.
    go(&app, &qiang, "busy").await;
    go(&app, &mei, "away").await;
    let (_, d) = shopper_writes(&app, "丁", "人呢").await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let r = app
        .post(
            &format!("/api/v1/conversations/{d}/messages"),
            Some(&boss),
            &json!({"text": "您好，我来帮您"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let overview = app.get("/api/v1/desk", Some(&mei)).await;
    assert_eq!(overview.body["queues"], json!([]));
}

async fn sla_clocks_warn_and_breach_once_even_across_a_restart(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    put_settings(&app, &boss, json!({"silence_limit_s": 3600})).await;
    go(&app, &mei, "online").await;
    let mut agent_live = app.live(&mei).await;
    let (_, id) = shopper_writes(&app, "甲", "在吗？").await;
    let view = conversation(&app, &mei, &id).await;
    let started = Timestamp::parse_rfc3339(view["sla"]["started_at"].as_str().expect("started"))
        .expect("time");
    let due = Timestamp::parse_rfc3339(view["sla"]["due_at"].as_str().expect("due")).expect("time");
    assert_eq!(due.as_millis() - started.as_millis(), 15_000);

    app.clock.advance_millis(11_999);
    assert_eq!(desk::tick(&app.state).await, 0, "nothing due before 80 %");
    app.clock.advance_millis(1);
    assert_eq!(desk::tick(&app.state).await, 1);
    let warned = agent_live.next_of("sla.signal").await;
    assert_eq!(
        (&warned["clock"], &warned["level"], &warned["agent_id"]),
        (
            &json!("first_response"),
            &json!("warning"),
            &json!(app.shop.agent.id.to_string())
        )
    );
    assert_eq!(
        conversation(&app, &mei, &id).await["sla"]["level"],
        "warning"
    );
    app.clock.advance_millis(4_000);
    assert_eq!(desk::tick(&app.state).await, 1);
    assert_eq!(desk::tick(&app.state).await, 0, "fired once");
    assert_eq!(
        conversation(&app, &mei, &id).await["sla"]["level"],
        "breach"
    );

    // A second server over the same store (a restart) rebuilds the clocks from the log: what
    // fired does not fire again, what comes due later does.
    let restarted = restart(&app);
    desk::warm(&restarted).await;
    assert_eq!(desk::tick(&restarted).await, 0);
    app.clock.advance_millis(130_000); // 146 s: past the 3-minute clock's warning (144 s)
    assert_eq!(desk::tick(&restarted).await, 1);
    let kinds: Vec<(SlaClock, SlaLevel)> = signals(&app)
        .await
        .iter()
        .filter_map(|e| match &e.event {
            Event::SlaSignaled { signal, .. } => Some((signal.clock, signal.level)),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (SlaClock::FirstResponse, SlaLevel::Warning),
            (SlaClock::FirstResponse, SlaLevel::Breach),
            (SlaClock::ThreeMinute, SlaLevel::Warning),
        ]
    );

    // A reply stops the clocks.
    let r = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&mei),
            &json!({"text": "抱歉久等了"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(conversation(&app, &mei, &id).await["sla"].is_null());
    app.clock.advance_millis(600_000);
    assert_eq!(desk::tick(&app.state).await, 0);
}

async fn three_breaches_in_a_day_flag_the_agent(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    put_settings(&app, &boss, json!({"silence_limit_s": 3600})).await;
    go(&app, &mei, "online").await;
    let mut boss_live = app.live(&boss).await;
    for name in ["甲", "乙", "丙"] {
        shopper_writes(&app, name, "在吗").await;
    }
    app.clock.advance_millis(16_000);
    assert_eq!(desk::tick(&app.state).await, 3);
    let warned = boss_live.next_of("agent.yellow_line").await;
    assert_eq!(warned["breaches"], 2);
    let flagged = boss_live.next_of("agent.red_line").await;
    assert_eq!(flagged["agent_id"], app.shop.agent.id.to_string());
    assert_eq!(flagged["breaches"], 3);
    let overview = app.get("/api/v1/desk", Some(&boss)).await;
    let mine = overview.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent"]["username"] == "xiaomei")
        .cloned()
        .expect("xiaomei");
    assert_eq!(
        (&mine["breaches_today"], &mine["flagged"], &mine["line"]),
        (&json!(3), &json!(true), &json!("red"))
    );
    assert_eq!(overview.body["today"]["breaches"], 3);
    assert_eq!(overview.body["today"]["warnings"], 3);

    // After a restart the day's tally is read back from the log, closed conversations included.
    let token = app.login(&app.shop, &app.shop.agent).await;
    let list = app.get("/api/v1/conversations", Some(&token)).await;
    let first = list.body["items"][0]["id"].as_str().expect("id").to_owned();
    let closed = app
        .post(
            &format!("/api/v1/conversations/{first}/close"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(closed.status, 200);
    let restarted = restart(&app);
    let rebuilt = restarted
        .desk
        .for_shop(&*app.store.store, app.shop.id())
        .await
        .expect("desk");
    let mine = rebuilt
        .snapshot(app.clock.now())
        .agents
        .into_iter()
        .find(|a| a.agent.id == app.shop.agent.id)
        .expect("xiaomei");
    assert_eq!(mine.breaches_today, 3);
}

async fn a_silent_or_departed_agent_loses_the_conversation_to_the_front_of_the_queue(
    backend: TestBackend,
) {
    let app = TestApp::spawn(backend).await;
    let aqiang = second_agent(&app, "aqiang").await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let qiang = app.login(&app.shop, &aqiang).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    put_settings(&app, &boss, json!({"silence_limit_s": 60})).await;
    go(&app, &mei, "online").await;
    let (_, a) = shopper_writes(&app, "甲", "在吗").await;
    assert_eq!(
        conversation(&app, &mei, &a).await["assigned_agent_id"],
        app.shop.agent.id.to_string()
    );
    go(&app, &qiang, "online").await;
    app.clock.advance_millis(61_000);
    desk::tick(&app.state).await;
    let view = conversation(&app, &mei, &a).await;
    assert_eq!(view["assigned_agent_id"], aqiang.id.to_string(), "{view}");
    assert_eq!(view["state"], "assigned");

    // 阿强 goes offline: what he holds goes back and to the one still online.
    let (_, b) = shopper_writes(&app, "乙", "请问发货了吗").await;
    assert_eq!(
        conversation(&app, &mei, &b).await["assigned_agent_id"],
        app.shop.agent.id.to_string(),
        "the less loaded"
    );
    go(&app, &qiang, "offline").await;
    assert_eq!(
        conversation(&app, &mei, &a).await["assigned_agent_id"],
        app.shop.agent.id.to_string()
    );
    let overview = app.get("/api/v1/desk", Some(&boss)).await;
    assert_eq!(overview.body["today"]["sent_back"], 2);
    let back: Vec<String> = app
        .store
        .store
        .events_of_kinds(app.shop.id(), &["queued"], Timestamp::from_millis(0), 100)
        .await
        .expect("events")
        .iter()
        .filter_map(|e| match &e.event {
            Event::Queued {
                sent_back: Some(s), ..
            } => Some(s.reason.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(back, ["silent", "offline"]);
}

async fn transfers_record_a_reason_and_refuse_what_they_cannot_do(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let aqiang = second_agent(&app, "aqiang").await;
    // An expert seat, offline all along.
    let mut expert = agent(app.shop.id(), "wangjie", Role::Expert);
    expert.tier = Tier::Expert;
    let hash = hash_password(PASSWORD).expect("hash");
    app.store
        .store
        .upsert_agent(&expert, &hash)
        .await
        .expect("expert");
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let qiang = app.login(&app.shop, &aqiang).await;
    go(&app, &mei, "online").await;
    let (_, id) = shopper_writes(&app, "甲", "我要退货").await;
    let path = format!("/api/v1/conversations/{id}/transfer");
    let refused = |body: Value, token: String| {
        let path = path.clone();
        let app = &app;
        async move { app.post(&path, Some(&token), &body).await }
    };
    let to_qiang = json!({"to_agent": aqiang.id.to_string(), "reason": "退货归阿强"});

    let offline = refused(to_qiang.clone(), mei.clone()).await;
    assert_eq!(
        (offline.status, offline.code()),
        (409, "conflict"),
        "{:?}",
        offline.body
    );
    let no_reason = refused(json!({"to_tier": "expert", "reason": " "}), mei.clone()).await;
    assert_eq!(
        (
            no_reason.status,
            no_reason.body["details"][0]["field"].as_str()
        ),
        (422, Some("reason"))
    );
    let both = refused(
        json!({"to_agent": aqiang.id.to_string(), "to_tier": "expert", "reason": "x"}),
        mei.clone(),
    )
    .await;
    assert_eq!(both.status, 422);
    let stranger = refused(
        json!({"to_agent": AgentId::new().to_string(), "reason": "x"}),
        mei.clone(),
    )
    .await;
    assert_eq!(stranger.body["details"][0]["field"], "to_agent");
    let bot_tier = refused(json!({"to_tier": "bot", "reason": "x"}), mei.clone()).await;
    assert_eq!(bot_tier.status, 422);
    let not_holder = refused(json!({"to_tier": "expert", "reason": "x"}), qiang.clone()).await;
    assert_eq!((not_holder.status, not_holder.code()), (403, "forbidden"));

    go(&app, &qiang, "online").await;
    let moved = refused(to_qiang, mei.clone()).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["assigned_agent_id"], aqiang.id.to_string());
    let history = app
        .get(&format!("/api/v1/conversations/{id}"), Some(&qiang))
        .await;
    assert_eq!(
        history.body["messages"].as_array().map(Vec::len),
        Some(1),
        "context kept"
    );

    // Nobody in this shop serves the crisis tier: refused rather than lost.
    let nobody = refused(
        json!({"to_tier": "crisis", "reason": "重大投诉"}),
        qiang.clone(),
    )
    .await;
    assert_eq!(
        (nobody.status, nobody.code()),
        (409, "conflict"),
        "{:?}",
        nobody.body
    );

    // To the expert seats, where nobody is online: it waits there, at its priority.
    let up = refused(
        json!({"to_tier": "expert", "to_skill": "售后", "reason": "需要专家处理"}),
        qiang.clone(),
    )
    .await;
    assert_eq!(up.status, 200, "{:?}", up.body);
    assert_eq!(
        (&up.body["state"], &up.body["waiting"]["tier"]),
        (&json!("queued"), &json!("expert"))
    );
    assert_eq!(up.body["waiting"]["skill"], "售后");

    let overview = app.get("/api/v1/desk", Some(&mei)).await;
    assert_eq!(overview.body["today"]["transferred"], 1);
    assert_eq!(overview.body["today"]["transfer_rate"], 1.0);
    let reasons: Vec<String> = app
        .store
        .store
        .events_of_kinds(
            app.shop.id(),
            &["transferred"],
            Timestamp::from_millis(0),
            100,
        )
        .await
        .expect("events")
        .iter()
        .filter_map(|e| match &e.event {
            Event::Transferred { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, ["退货归阿强", "需要专家处理"]);

    // Another shop's conversation is not found.
    let other = app.login(&app.other, &app.other.supervisor).await;
    let foreign = app
        .post(
            &path,
            Some(&other),
            &json!({"to_tier": "standard", "reason": "x"}),
        )
        .await;
    assert_eq!(foreign.status, 404);
}

async fn outside_staffed_hours_a_message_is_left_for_the_next_morning(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    // 23:30 shop time: the default hours are 08:00–23:00.
    app.clock.advance_millis(13 * 3_600_000 + 30 * 60_000);
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let (shopper, id) = shopper_writes(&app, "夜猫子", "明天能发货吗").await;
    let next_morning = app.clock.now().plus_millis(10 * 3_600_000 + 30 * 60_000);
    let queue = app.get("/api/v1/widget/queue", Some(&shopper)).await;
    assert_eq!(queue.body["due"], json!(next_morning));
    let view = conversation(&app, &mei, &id).await;
    assert_eq!(
        (&view["sla"]["clock"], &view["waiting"]["due"]),
        (&json!("offline_reply"), &json!(next_morning))
    );

    app.clock.advance_millis(60_000);
    assert_eq!(desk::tick(&app.state).await, 0, "no live clock at night");
    let overview = app.get("/api/v1/desk", Some(&mei)).await;
    let left = &overview.body["offline"][0];
    assert_eq!(
        (&left["conversation_id"], &left["overdue"]),
        (&json!(id), &json!(false))
    );

    // Nobody answered by 10:00: warned at 09:00, escalated at 10:00.
    app.clock.set(next_morning);
    assert_eq!(desk::tick(&app.state).await, 1);
    let overview = app.get("/api/v1/desk", Some(&mei)).await;
    assert_eq!(overview.body["offline"][0]["overdue"], true);
    let fired: Vec<(SlaClock, SlaLevel)> = signals(&app)
        .await
        .iter()
        .filter_map(|e| match &e.event {
            Event::SlaSignaled { signal, .. } => Some((signal.clock, signal.level)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fired,
        [
            (SlaClock::OfflineReply, SlaLevel::Warning),
            (SlaClock::OfflineReply, SlaLevel::Breach)
        ]
    );
}

async fn service_settings_and_statuses_refuse_bad_input(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let defaults = app.get("/api/v1/settings/service", Some(&mei)).await;
    assert_eq!(
        (
            &defaults.body["first_response_s"],
            &defaults.body["hours"]["offline_due"]
        ),
        (&json!(15), &json!("10:00"))
    );
    let put = |token: &str, body: Value| {
        app.send(
            app.client
                .put(app.url("/api/v1/settings/service"))
                .bearer_auth(token)
                .json(&body),
        )
    };
    assert_eq!(put(&mei, json!({"silence_limit_s": 60})).await.status, 403);
    let bad = put(
        &boss,
        json!({"hours": {"shifts": [{"days": [8], "from": "09:00", "to": "18:00"}]}}),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["details"][0]["field"].as_str()),
        (422, Some("hours.shifts[0].days"))
    );
    let unknown = put(&boss, json!({"silence": 60})).await;
    assert_eq!(unknown.status, 422, "{:?}", unknown.body);
    let zero = put(&boss, json!({"first_response_s": 0})).await;
    assert_eq!(zero.body["details"][0]["field"], "first_response_s");
    assert_eq!(
        app.get("/api/v1/settings/service", Some(&mei)).await.body,
        defaults.body,
        "unchanged"
    );

    let sleeping = app
        .post(
            "/api/v1/desk/status",
            Some(&mei),
            &json!({"status": "sleeping"}),
        )
        .await;
    assert_eq!(sleeping.status, 422);
    let empty = app
        .post("/api/v1/desk/status", Some(&mei), &json!({}))
        .await;
    assert_eq!(empty.status, 422, "a missing field");
    let others = |who: String, token: &str| {
        let path = format!("/api/v1/desk/agents/{who}/status");
        let token = token.to_owned();
        let app = &app;
        async move {
            app.post(&path, Some(&token), &json!({"status": "online"}))
                .await
        }
    };
    assert_eq!(
        others(app.shop.supervisor.id.to_string(), &mei)
            .await
            .status,
        403
    );
    assert_eq!(
        others(app.other.agent.id.to_string(), &boss).await.status,
        404
    );
    assert_eq!(
        others(app.shop.agent.id.to_string(), &boss).await.status,
        200
    );
    let overview = app.get("/api/v1/desk", Some(&mei)).await;
    assert!(
        overview.body["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .any(|a| a["agent"]["username"] == "xiaomei" && a["status"] == "online")
    );
}

both_backends!(
    hand_offs_wait_in_order_and_go_to_the_least_loaded_online_agent,
    sla_clocks_warn_and_breach_once_even_across_a_restart,
    three_breaches_in_a_day_flag_the_agent,
    a_silent_or_departed_agent_loses_the_conversation_to_the_front_of_the_queue,
    transfers_record_a_reason_and_refuse_what_they_cannot_do,
    outside_staffed_hours_a_message_is_left_for_the_next_morning,
    service_settings_and_statuses_refuse_bad_input,
);
