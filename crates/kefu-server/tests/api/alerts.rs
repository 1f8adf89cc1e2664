//! Supervisor alerts through the API: risk words alert live and go through acknowledge and
//! resolve; an escalating shopper moves up the queue and alerts; complaint surges against
//! previous weeks; SLA breach clusters and agents' lines; missed targets escalate on the test's
//! clock; and the DingTalk / WeCom robots get their exact signed bodies from a real local
//! HTTP server, with retries and failures recorded.

use axum::extract::{RawQuery, State};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use kefu_domain::*;
use kefu_server::{alerts, desk};
use kefu_store::Store;
use kefu_testkit::*;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    let id = say(app, &token, text).await;
    (token, id)
}

async fn say(app: &TestApp, token: &str, text: &str) -> String {
    let m = app
        .post(
            "/api/v1/widget/messages",
            Some(token),
            &json!({"text": text}),
        )
        .await;
    assert_eq!(m.status, 201, "{:?}", m.body);
    m.body["conversation_id"].as_str().expect("id").to_owned()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    app.send(app.client.put(app.url(path)).bearer_auth(token).json(&body))
        .await
}

async fn open_alerts(app: &TestApp, token: &str) -> Vec<Value> {
    let a = app.get("/api/v1/alerts", Some(token)).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["alerts"].as_array().expect("alerts").clone()
}

async fn history(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let d = app.get(&format!("/api/v1/alerts/{id}"), Some(token)).await;
    assert_eq!(d.status, 200, "{:?}", d.body);
    d.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["change"].as_str().expect("change").to_owned())
        .collect()
}

/// Waits (real time) until `check` holds, failing the test after 10 s.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn risk_words_alert_live_and_go_through_acknowledge_and_resolve(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let mut boss_live = app.live(&boss).await;
    let (shopper, conversation) = shopper_writes(&app, "甲", "再不退款我就打12315投诉你们").await;

    let raised = boss_live.next_of("alert.updated").await;
    let alert = &raised["alert"];
    assert_eq!(
        (&alert["kind"], &alert["severity"], &alert["count"]),
        (&json!("risk_words"), &json!("red"), &json!(1))
    );
    assert_eq!(alert["conversation_id"], conversation.as_str());
    assert_eq!(alert["title"], "顾客提到 12315（甲）");
    assert_eq!(alert["detail"], "再不退款我就打12315投诉你们");
    let id = alert["id"].as_str().expect("id").to_owned();
    // The supervisor's dashboard was connected: delivered.
    let delivered = boss_live.next_of("alert.updated").await;
    assert_eq!(
        (
            &delivered["alert"]["state"],
            &delivered["alert"]["delivered_via"]
        ),
        (&json!("delivered"), &json!("dashboard"))
    );

    // The same trouble again bumps the open alert rather than raising another.
    say(&app, &shopper, "律师函已经在写了，还要找媒体曝光").await;
    let bumped = boss_live.next_of("alert.updated").await;
    assert_eq!(
        (&bumped["alert"]["id"], &bumped["alert"]["count"]),
        (&json!(id), &json!(2))
    );
    let title = bumped["alert"]["title"].as_str().unwrap_or_default();
    assert!(
        title.starts_with("顾客提到 ") && title.contains("律师"),
        "{title}"
    );
    let open = open_alerts(&app, &mei).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        app.get("/api/v1/alerts", Some(&mei)).await.body["deliver_target_s"],
        180
    );

    // Only supervisors write; bad input is refused and changes nothing.
    let path = format!("/api/v1/alerts/{id}/ack");
    let refused = app.post(&path, Some(&mei), &json!({"note": "x"})).await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    let long = app
        .post(&path, Some(&boss), &json!({"note": "长".repeat(501)}))
        .await;
    assert_eq!((long.status, long.code()), (422, "validation_failed"));
    assert_eq!(long.body["details"][0]["field"], "note");
    let odd = app
        .post(&path, Some(&boss), &json!({"note": "x", "extra": 1}))
        .await;
    assert_eq!(odd.status, 422);
    let missing = app
        .post(
            &format!("/api/v1/alerts/{}/ack", AlertId::new()),
            Some(&boss),
            &json!({}),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
    let other_boss = app.login(&app.other, &app.other.supervisor).await;
    let foreign = app.post(&path, Some(&other_boss), &json!({})).await;
    assert_eq!(foreign.status, 404, "another shop's alert reads as absent");
    assert_eq!(
        app.get(&format!("/api/v1/alerts/{id}"), Some(&other_boss))
            .await
            .status,
        404
    );
    assert!(open_alerts(&app, &other_boss).await.is_empty());
    let bad_state = app.get("/api/v1/alerts?state=bogus", Some(&boss)).await;
    assert_eq!(
        (
            bad_state.status,
            bad_state.body["details"][0]["field"].clone()
        ),
        (422, json!("state"))
    );
    let bad_limit = app.get("/api/v1/alerts?limit=0", Some(&boss)).await;
    assert_eq!(bad_limit.status, 422);
    assert_eq!(
        history(&app, &boss, &id).await,
        ["raised", "delivered", "bumped"],
        "nothing changed"
    );

    let acked = app
        .post(&path, Some(&boss), &json!({"note": "我来联系顾客"}))
        .await;
    assert_eq!(acked.status, 200, "{:?}", acked.body);
    assert_eq!(acked.body["alert"]["state"], "acknowledged");
    assert_eq!(
        acked.body["alert"]["acknowledged_by"],
        app.shop.supervisor.id.to_string()
    );
    let live = boss_live.next_of("alert.updated").await;
    assert_eq!(live["alert"]["state"], "acknowledged");
    let again = app.post(&path, Some(&boss), &json!({})).await;
    assert_eq!((again.status, again.code()), (409, "alert_state"));

    let resolve = format!("/api/v1/alerts/{id}/resolve");
    let done = app
        .post(&resolve, Some(&boss), &json!({"note": "已退款，顾客撤回"}))
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["alert"]["state"], "resolved");
    let notes: Vec<Value> = done.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| json!([h["change"], h["note"]]))
        .collect();
    assert_eq!(
        notes,
        [
            json!(["raised", ""]),
            json!(["delivered", ""]),
            json!(["bumped", ""]),
            json!(["acknowledged", "我来联系顾客"]),
            json!(["resolved", "已退款，顾客撤回"]),
        ]
    );
    let twice = app.post(&resolve, Some(&boss), &json!({})).await;
    assert_eq!((twice.status, twice.code()), (409, "alert_state"));
    assert!(open_alerts(&app, &boss).await.is_empty());
    let all = app.get("/api/v1/alerts?state=all", Some(&boss)).await;
    assert_eq!(all.body["alerts"].as_array().map(Vec::len), Some(1));

    // Resolved, the next threat raises a new alert.
    say(&app, &shopper, "我还是要打12315").await;
    let open = open_alerts(&app, &boss).await;
    assert_eq!(open.len(), 1);
    assert_ne!(open[0]["id"], json!(id));
}

async fn an_escalating_shopper_moves_up_the_queue_and_missed_targets_escalate(
    backend: TestBackend,
) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let (_, calm) = shopper_writes(&app, "甲", "你好，请问什么时候发货").await;
    let (_, second) = shopper_writes(&app, "乙", "你好，请问什么时候发货").await;
    let queue = |body: &Value| -> Vec<String> {
        body["queues"][0]["waiting"]
            .as_array()
            .expect("waiting")
            .iter()
            .map(|w| w["conversation_id"].as_str().expect("id").to_owned())
            .collect()
    };
    let desk_view = app.get("/api/v1/desk", Some(&boss)).await;
    assert_eq!(queue(&desk_view.body), [calm.clone(), second.clone()]);

    // 丙 is angry from the start. Nobody watches the dashboard: the alert stays undelivered.
    let (token, angry) = shopper_writes(&app, "丙", "气死了！太失望了，到底什么时候发货！").await;
    let view = app
        .get(&format!("/api/v1/conversations/{angry}"), Some(&mei))
        .await;
    let c = &view.body["conversation"];
    assert_eq!(c["escalation"]["priority"], "complaint", "{c:?}");
    assert_eq!(c["waiting"]["priority"], "complaint");
    assert!(
        ["negative_words", "strong_negative_turn"]
            .contains(&c["escalation"]["reason"].as_str().unwrap_or("")),
        "{c:?}"
    );
    let desk_view = app.get("/api/v1/desk", Some(&boss)).await;
    assert_eq!(
        queue(&desk_view.body),
        [angry.clone(), calm.clone(), second],
        "the escalated shopper waits ahead of those who came earlier"
    );
    let open = open_alerts(&app, &boss).await;
    let alert = open
        .iter()
        .find(|a| a["kind"] == "emotion")
        .cloned()
        .expect("an emotion alert");
    assert_eq!(
        (
            &alert["severity"],
            &alert["state"],
            &alert["conversation_id"]
        ),
        (&json!("yellow"), &json!("raised"), &json!(angry))
    );
    let id = alert["id"].as_str().expect("id").to_owned();
    // Once per conversation and level: more anger changes nothing.
    say(&app, &token, "气死了！！").await;
    let events = app
        .store
        .store
        .conversation_events(app.shop.id(), angry.parse().expect("id"))
        .await
        .expect("events");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.event, Event::PriorityRaised { .. }))
            .count(),
        1
    );

    // The delivery target (3 min) passes: escalated, red, recorded.
    app.clock.advance_millis(179_000);
    assert_eq!(alerts::tick(&app.state).await, 0);
    app.clock.advance_millis(1_000);
    assert_eq!(alerts::tick(&app.state).await, 1);
    let one = app.get(&format!("/api/v1/alerts/{id}"), Some(&boss)).await;
    assert_eq!(
        (
            &one.body["alert"]["severity"],
            &one.body["alert"]["escalated"]
        ),
        (&json!("red"), &json!(["delivery"]))
    );
    // A supervisor connects: the dashboard reads the open alerts, so they are delivered now.
    let mut boss_live = app.live(&boss).await;
    let delivered = boss_live.next_of("alert.updated").await;
    assert_eq!(delivered["alert"]["state"], "delivered");
    // The resolution target (15 min) passes: escalated once more, and only once.
    app.clock.advance_millis(720_000);
    assert_eq!(alerts::tick(&app.state).await, 1);
    let escalated = boss_live.next_of("alert.updated").await;
    assert_eq!(
        escalated["alert"]["escalated"],
        json!(["delivery", "resolution"])
    );
    app.clock.advance_millis(600_000);
    assert_eq!(alerts::tick(&app.state).await, 0);
    assert_eq!(
        history(&app, &boss, &id).await,
        ["raised", "escalated", "delivered", "escalated"]
    );

    // The agent who takes it sees the mark.
    let r = app
        .post(
            &format!("/api/v1/conversations/{angry}/messages"),
            Some(&mei),
            &json!({"text": "非常抱歉，我马上为您查询"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let view = app
        .get(&format!("/api/v1/conversations/{angry}"), Some(&mei))
        .await;
    assert_eq!(view.body["conversation"]["state"], "waiting");
    assert_eq!(
        view.body["conversation"]["escalation"]["priority"],
        "complaint"
    );
}

async fn complaints_surge_against_the_same_hour_of_previous_weeks(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let shop = app.shop.id();
    let store = &app.store.store;
    let now = app.clock.now();
    let hour = kefu_engine::alerts::hour_start(now);
    // Previous weeks saw 4 complaints in this hour: +50 % is 6, +100 % is 8.
    for week in kefu_engine::alerts::baseline_hours(now) {
        store
            .add_tally(shop, "complaints", week, 4)
            .await
            .expect("tally");
    }
    store
        .add_tally(shop, "complaints", hour, 4)
        .await
        .expect("tally");
    shopper_writes(&app, "甲", "我要投诉你们的快递").await;
    assert!(
        open_alerts(&app, &boss).await.is_empty(),
        "5 is within +50 %"
    );
    shopper_writes(&app, "乙", "给差评，投诉到底").await;
    let open = open_alerts(&app, &boss).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        (&open[0]["kind"], &open[0]["severity"], &open[0]["subject"]),
        (&json!("complaint_surge"), &json!("yellow"), &json!("shop"))
    );
    assert_eq!(
        open[0]["title"],
        "本小时投诉 6 起，较前 4 周同期均值 4.0 起上升 50%"
    );

    // Tickets count too; at 8 it turns red, still the one alert.
    let token = app.login(&app.shop, &app.shop.agent).await;
    for title in ["顾客投诉破损", "顾客投诉漏发"] {
        let t = app
            .post(
                "/api/v1/tickets",
                Some(&token),
                &json!({
                    "customer_id": app.shop.customer.id.to_string(),
                    "kind": "quality_claim",
                    "title": title,
                }),
            )
            .await;
        assert_eq!(t.status, 201, "{:?}", t.body);
    }
    assert_eq!(
        store
            .tallies(shop, "complaints", &[hour])
            .await
            .expect("read"),
        [8]
    );
    let open = open_alerts(&app, &boss).await;
    assert_eq!(open.len(), 1);
    assert_eq!(
        (&open[0]["severity"], &open[0]["count"]),
        (&json!("red"), &json!(3))
    );

    // A quiet shop with no history: the floor (3) is the reference.
    let other = app.other.id();
    for _ in 0..4 {
        kefu_server::alerts::detect::count_complaints(&app.state, other, 1)
            .await
            .expect("count");
    }
    let other_boss = app.login(&app.other, &app.other.supervisor).await;
    assert!(
        open_alerts(&app, &other_boss).await.is_empty(),
        "4 is within the floor's +50 %"
    );
    kefu_server::alerts::detect::count_complaints(&app.state, other, 1)
        .await
        .expect("count");
    let open = open_alerts(&app, &other_boss).await;
    assert_eq!(open[0]["severity"], "yellow");
}

async fn breach_clusters_and_agent_lines_alert_once_each(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let settings = put(
        &app,
        "/api/v1/settings/service",
        &boss,
        json!({"silence_limit_s": 3600}),
    )
    .await;
    assert_eq!(settings.status, 200);
    let go = app
        .post(
            "/api/v1/desk/status",
            Some(&mei),
            &json!({"status": "online"}),
        )
        .await;
    assert_eq!(go.status, 200);
    for name in ["甲", "乙", "丙"] {
        shopper_writes(&app, name, "在吗").await;
    }
    app.clock.advance_millis(16_000);
    assert_eq!(desk::tick(&app.state).await, 3);
    eventually("a cluster alert and a red line alert", || async {
        let open = open_alerts(&app, &boss).await;
        let cluster = open.iter().any(|a| a["kind"] == "sla_cluster");
        let line = open
            .iter()
            .any(|a| a["kind"] == "agent_line" && a["severity"] == "red");
        cluster && line
    })
    .await;
    let open = open_alerts(&app, &boss).await;
    assert_eq!(open.len(), 2, "one alert per kind and subject: {open:?}");
    let line = open
        .iter()
        .find(|a| a["kind"] == "agent_line")
        .expect("line");
    assert_eq!(
        (&line["agent_id"], &line["subject"], &line["count"]),
        (
            &json!(app.shop.agent.id.to_string()),
            &json!(app.shop.agent.id.to_string()),
            &json!(2)
        ),
        "the yellow line bumped to red"
    );
    assert!(
        line["title"].as_str().unwrap_or("").contains("红线"),
        "{line:?}"
    );
    let cluster = open
        .iter()
        .find(|a| a["kind"] == "sla_cluster")
        .expect("cluster");
    assert_eq!(cluster["severity"], "yellow");
    assert_eq!(cluster["title"], "10 分钟内 3 次响应超时");
}

/// What the fake robots received: path, query and body of each request.
#[derive(Debug, Default)]
struct Received {
    requests: Vec<(String, Option<String>, String)>,
    /// Answers to give the DingTalk robot, in order; then `{"errcode":0}`.
    ding_script: Vec<(u16, String)>,
}

type Shared = Arc<Mutex<Received>>;

async fn robots() -> (String, Shared) {
    use axum::routing::post;
    let shared: Shared = Arc::default();
    async fn ding(
        State(s): State<Shared>,
        RawQuery(q): RawQuery,
        body: String,
    ) -> (axum::http::StatusCode, String) {
        let mut r = s.lock().expect("lock");
        r.requests.push(("/ding".into(), q, body));
        let (status, answer) = if r.ding_script.is_empty() {
            (200, r#"{"errcode":0,"errmsg":"ok"}"#.to_owned())
        } else {
            r.ding_script.remove(0)
        };
        (
            axum::http::StatusCode::from_u16(status).expect("status"),
            answer,
        )
    }
    async fn wecom(
        State(s): State<Shared>,
        RawQuery(q): RawQuery,
        body: String,
    ) -> (axum::http::StatusCode, String) {
        s.lock()
            .expect("lock")
            .requests
            .push(("/wecom".into(), q, body));
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "busy".to_owned(),
        )
    }
    let app = axum::Router::new()
        .route("/ding", post(ding))
        .route("/wecom", post(wecom))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), shared)
}

fn requests(shared: &Shared, path: &str) -> Vec<(Option<String>, String)> {
    shared
        .lock()
        .expect("lock")
        .requests
        .iter()
        .filter(|(p, _, _)| p == path)
        .map(|(_, q, b)| (q.clone(), b.clone()))
        .collect()
}

fn sign(secret: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn robots_get_exact_signed_bodies_with_retries_and_failures_recorded(backend: TestBackend) {
    // By default robots post only to DingTalk's and WeCom's hosts.
    let strict = TestApp::spawn(backend).await;
    let strict_boss = strict.login(&strict.shop, &strict.shop.supervisor).await;
    let refused = put(
        &strict,
        "/api/v1/settings/alerts",
        &strict_boss,
        json!({"wecom": {"url": "http://127.0.0.1:9/wecom", "secret": "k"}}),
    )
    .await;
    assert_eq!((refused.status, refused.code()), (422, "validation_failed"));
    assert_eq!(refused.body["details"][0]["field"], "wecom.url");
    // This test's robots listen on loopback, which the server is told to allow.
    let app = TestApp::spawn_with(backend, |s| {
        s.with_webhook_hosts(vec!["127.0.0.1".to_owned()])
    })
    .await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let mei = app.login(&app.shop, &app.shop.agent).await;
    let (base, shared) = robots().await;
    shared
        .lock()
        .expect("lock")
        .ding_script
        .push((500, "oops".to_owned()));

    let body = json!({
        "dingtalk": {"url": format!("{base}/ding?access_token=tok"), "secret": "SECtest"},
        "wecom": {"url": format!("{base}/wecom"), "secret": "wkey"},
    });
    assert_eq!(
        put(&app, "/api/v1/settings/alerts", &mei, body.clone())
            .await
            .status,
        403
    );
    let saved = put(&app, "/api/v1/settings/alerts", &boss, body).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    let read = app.get("/api/v1/settings/alerts", Some(&boss)).await;
    assert_eq!(read.body, saved.body);
    assert_eq!(
        read.body["dingtalk"],
        json!({"url": format!("{base}/ding?access_token=***"), "secret_set": true})
    );
    assert!(!String::from_utf8_lossy(&read.bytes).contains("SECtest"));
    assert!(!String::from_utf8_lossy(&read.bytes).contains("wkey"));
    let bad = put(
        &app,
        "/api/v1/settings/alerts",
        &boss,
        json!({"dingtalk": {"url": "oapi.dingtalk.com/robot"}}),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["details"][0]["field"].clone()),
        (422, json!("dingtalk.url"))
    );
    let unknown = put(&app, "/api/v1/settings/alerts", &boss, json!({"slack": {}})).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(
        app.get("/api/v1/settings/alerts", Some(&boss)).await.body,
        saved.body,
        "unchanged"
    );

    // Nobody watches the dashboard; the robots are told.
    let (first, conversation) = shopper_writes(&app, "甲", "再不退款就打12315").await;
    eventually("DingTalk's retry and WeCom's three tries", || async {
        requests(&shared, "/ding").len() == 2 && requests(&shared, "/wecom").len() == 3
    })
    .await;
    let alert = app
        .store
        .store
        .list_alerts(app.shop.id(), true, 10)
        .await
        .expect("list")
        .remove(0);
    let minute = alert.raised_at.to_shop_minute();
    let text = format!(
        "### [红色告警] 顾客提到 12315（甲）\n\n- 店铺：demo 旗舰店\n- 类型：风险词\n- 状态：待送达\n- 次数：1\n- 首次：{minute}\n- 最近：{minute}\n\n> 再不退款就打12315\n"
    );
    assert_eq!(
        alert.conversation.map(|c| c.to_string()),
        Some(conversation)
    );
    let ding = requests(&shared, "/ding");
    for (query, body) in &ding {
        let body: Value = serde_json::from_str(body).expect("json");
        assert_eq!(
            body,
            json!({"msgtype": "markdown", "markdown": {"title": "[红色告警] 顾客提到 12315（甲）", "text": text}})
        );
        let query = query.as_deref().expect("query");
        let params: Vec<(&str, &str)> =
            query.split('&').filter_map(|p| p.split_once('=')).collect();
        assert_eq!(params[0], ("access_token", "tok"));
        assert_eq!(params[1].0, "timestamp");
        assert_eq!(params[1].1, app.clock.now().as_millis().to_string());
        let expected = kefu_engine::alerts::urlencode(&sign("SECtest", params[1].1));
        assert_eq!(params[2], ("sign", expected.as_str()));
    }
    for (query, body) in requests(&shared, "/wecom") {
        assert_eq!(query.as_deref(), Some("key=wkey"));
        let body: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            body,
            json!({"msgtype": "markdown", "markdown": {"content": text}})
        );
    }
    let id = alert.id.to_string();
    eventually("the failure recorded", || async {
        history(&app, &boss, &id)
            .await
            .contains(&"delivery_failed".to_owned())
    })
    .await;
    let detail = app.get(&format!("/api/v1/alerts/{id}"), Some(&boss)).await;
    assert_eq!(
        (
            &detail.body["alert"]["state"],
            &detail.body["alert"]["delivered_via"]
        ),
        (&json!("delivered"), &json!("dingtalk"))
    );
    let failed = detail.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|h| h["change"] == "delivery_failed")
        .cloned()
        .expect("failure");
    assert_eq!(
        (
            &failed["data"]["via"],
            &failed["data"]["attempts"],
            &failed["note"]
        ),
        (&json!("wecom"), &json!(3), &json!("HTTP 500"))
    );

    // A bump at the same severity does not bother the robots again.
    let before = shared.lock().expect("lock").requests.len();
    say(&app, &first, "我说了，打12315").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(shared.lock().expect("lock").requests.len(), before);
    let bumped = app.get(&format!("/api/v1/alerts/{id}"), Some(&boss)).await;
    assert_eq!(bumped.body["alert"]["count"], 2);

    // The test button: DingTalk refuses a bad signature, WeCom is down.
    shared.lock().expect("lock").ding_script.push((
        200,
        r#"{"errcode":310000,"errmsg":"sign not match"}"#.to_owned(),
    ));
    let tested = app
        .post(
            "/api/v1/settings/alerts/test",
            Some(&boss),
            &json!({"sink": "dingtalk"}),
        )
        .await;
    assert_eq!(tested.status, 200, "{:?}", tested.body);
    assert_eq!(
        tested.body["results"],
        json!([{"sink": "dingtalk", "ok": true, "attempts": 2, "status": 200, "error": null}]),
        "refused once, then accepted"
    );
    let bad_sink = app
        .post(
            "/api/v1/settings/alerts/test",
            Some(&boss),
            &json!({"sink": "slack"}),
        )
        .await;
    assert_eq!(
        (
            bad_sink.status,
            bad_sink.body["details"][0]["field"].clone()
        ),
        (422, json!("sink"))
    );
    let agent_test = app
        .post("/api/v1/settings/alerts/test", Some(&mei), &json!({}))
        .await;
    assert_eq!(agent_test.status, 403);
}

both_backends!(
    risk_words_alert_live_and_go_through_acknowledge_and_resolve,
    an_escalating_shopper_moves_up_the_queue_and_missed_targets_escalate,
    complaints_surge_against_the_same_hour_of_previous_weeks,
    breach_clusters_and_agent_lines_alert_once_each,
    robots_get_exact_signed_bodies_with_retries_and_failures_recorded,
);
