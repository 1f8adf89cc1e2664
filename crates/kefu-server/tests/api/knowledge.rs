//! The knowledge base through the API: entries and their lifecycle, what the bot finds, the
//! bot's settings, and Excel/CSV/JSONL import and export. Every write is what the next search
//! sees — no restart, no wait.

use kefu_testkit::*;
use serde_json::{Value, json};

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Answer {
    app.send(app.client.put(app.url(path)).bearer_auth(token).json(body))
        .await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Answer {
    app.send(app.client.delete(app.url(path)).bearer_auth(token))
        .await
}

async fn search(app: &TestApp, token: &str, text: &str) -> Answer {
    let a = app
        .post(
            "/api/v1/knowledge/search",
            Some(token),
            &json!({"text": text}),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a
}

fn entry(key: &str, question: &str, similar: &[&str], answer: &str) -> Value {
    json!({"key": key, "question": question, "similar": similar, "answer": answer,
           "tags": ["物流"], "status": "published"})
}

/// A small knowledge base a shop could start with.
pub(crate) async fn seed(app: &TestApp, boss: &str) -> Vec<Value> {
    let entries = [
        entry(
            "kb-1",
            "什么时候发货",
            &["几天能发货", "下单后多久发出", "今天能发吗"],
            "亲，16点前付款当天发货哦～",
        ),
        entry(
            "kb-2",
            "发什么快递",
            &["用的哪家快递", "能发顺丰吗", "默认什么物流"],
            "亲，默认中通/圆通，顺丰需补差价哦",
        ),
        entry(
            "kb-3",
            "可以退货吗",
            &["不想要了能退吗", "支持七天无理由吗", "怎么申请退货"],
            "亲，未拆封商品支持7天无理由退货哦",
        ),
        entry(
            "kb-4",
            "纸尿裤怎么选尺码",
            &["宝宝12斤穿什么码", "尺码怎么选", "M码适合多重"],
            "亲，按体重选：S码4-8kg，M码6-11kg，L码9-14kg哦",
        ),
        entry(
            "kb-5",
            "我的快递到哪了",
            &["物流到哪了", "怎么还没到", "查一下物流"],
            "亲，您的订单{order.no}由{order.carrier}配送，单号{order.tracking_no}",
        ),
    ];
    let mut out = Vec::new();
    for e in entries {
        let a = app.post("/api/v1/knowledge", Some(boss), &e).await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        out.push(a.body);
    }
    out
}

async fn entries_are_found_at_once_and_follow_their_lifecycle(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let seeded = seed(&app, &boss).await;
    assert_eq!(seeded[0]["status"], "published");
    assert_eq!(seeded[0]["active"], true);

    // Colloquial, Traditional and emoji phrasings find the right entry.
    for (text, key) in [
        ("啥时候能发货呀😊", "kb-1"),
        ("可以發順豐嗎", "kb-2"),
        ("买错了想退可以吗", "kb-3"),
    ] {
        let a = search(&app, &agent, text).await;
        assert_eq!(
            a.body["candidates"][0]["entry"]["key"], key,
            "{text}: {:?}",
            a.body
        );
    }
    // A shopper asking for a person is handed off whatever the match.
    let a = search(&app, &agent, "转人工").await;
    assert_eq!(a.body["decision"]["action"], "hand_off");
    assert_eq!(a.body["decision"]["reason"], "customer_request");

    // Retiring an entry takes it out of the bot's answers at once.
    let id = seeded[1]["id"].as_str().expect("id").to_owned();
    let retired = app
        .post(
            &format!("/api/v1/knowledge/{id}/status"),
            Some(&boss),
            &json!({"status": "retired", "version": 1}),
        )
        .await;
    assert_eq!(
        (retired.status, retired.body["version"].as_i64()),
        (200, Some(2))
    );
    let a = search(&app, &agent, "用的哪家快递").await;
    assert!(
        a.body["candidates"]
            .as_array()
            .expect("list")
            .iter()
            .all(|c| c["entry"]["key"] != "kb-2"),
        "{:?}",
        a.body
    );
    // A retired entry cannot be published again directly; it is revived as a draft first.
    let a = app
        .post(
            &format!("/api/v1/knowledge/{id}/status"),
            Some(&boss),
            &json!({"status": "published", "version": 2}),
        )
        .await;
    assert_eq!((a.status, a.code()), (422, "validation_failed"));

    // An edit made from an old version is refused, not lost.
    let first = seeded[0]["id"].as_str().expect("id").to_owned();
    let mut edit = entry(
        "kb-1",
        "什么时候发货",
        &["几天能发货", "预售什么时候发"],
        "亲，现货48小时内发出哦",
    );
    edit["status"] = Value::Null;
    edit["version"] = json!(1);
    let ok = put(&app, &format!("/api/v1/knowledge/{first}"), &boss, &edit).await;
    assert_eq!(
        (ok.status, ok.body["version"].as_i64()),
        (200, Some(2)),
        "{:?}",
        ok.body
    );
    let stale = put(&app, &format!("/api/v1/knowledge/{first}"), &boss, &edit).await;
    assert_eq!((stale.status, stale.code()), (409, "stale_version"));
    let a = search(&app, &agent, "预售什么时候发").await;
    assert_eq!(
        a.body["candidates"][0]["entry"]["answer"],
        "亲，现货48小时内发出哦"
    );

    // Agents read and search; they do not edit.
    let a = app
        .post(
            "/api/v1/knowledge",
            Some(&agent),
            &entry("kb-9", "在吗", &[], "在的"),
        )
        .await;
    assert_eq!((a.status, a.code()), (403, "forbidden"));
    let list = app
        .get("/api/v1/knowledge?status=published&q=發貨", Some(&agent))
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["total"], 5);
    let keys: Vec<&str> = list.body["entries"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["key"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(keys, ["kb-1"]);

    // A published entry is retired before it can be deleted; a retired one can be.
    let a = delete(&app, &format!("/api/v1/knowledge/{first}?version=2"), &boss).await;
    assert_eq!((a.status, a.code()), (422, "validation_failed"));
    let a = delete(&app, &format!("/api/v1/knowledge/{id}?version=2"), &boss).await;
    assert_eq!(a.status, 204, "{:?}", a.body);
    let a = app
        .get(&format!("/api/v1/knowledge/{id}"), Some(&agent))
        .await;
    assert_eq!((a.status, a.code()), (404, "not_found"));
}

async fn bad_entries_and_settings_are_refused_with_the_field(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    for (body, field) in [
        (entry("k", "  ", &[], "答"), "question"),
        (entry("k", "问", &[], ""), "answer"),
        (entry("k", "问", &[], "单号{order.trackingno}"), "answer"),
        (
            json!({"question": "问", "answer": "答", "valid_from": "2026-02-30"}),
            "valid_from",
        ),
        (
            json!({"question": "问", "answer": "答", "status": "retired"}),
            "status",
        ),
    ] {
        let a = app.post("/api/v1/knowledge", Some(&boss), &body).await;
        assert_eq!((a.status, a.code()), (422, "validation_failed"), "{body}");
        assert_eq!(a.body["details"][0]["field"], field, "{:?}", a.body);
    }
    let a = app
        .post(
            "/api/v1/knowledge",
            Some(&boss),
            &json!({"question": "问", "answer": "答", "colour": 1}),
        )
        .await;
    assert_eq!(a.status, 422);
    seed(&app, &boss).await;
    let dup = app
        .post(
            "/api/v1/knowledge",
            Some(&boss),
            &entry("kb-1", "别的", &[], "答"),
        )
        .await;
    assert_eq!((dup.status, dup.code()), (409, "conflict"));

    let a = put(
        &app,
        "/api/v1/settings/bot",
        &boss,
        &json!({"answer_threshold": 1.5}),
    )
    .await;
    assert_eq!((a.status, a.code()), (422, "validation_failed"));
    let a = put(
        &app,
        "/api/v1/settings/bot",
        &boss,
        &json!({"answer_threshold": 1.0, "clarify_threshold": 1.0}),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let read = app.get("/api/v1/settings/bot", Some(&boss)).await;
    assert_eq!(
        read.body["max_misses"], 3,
        "missing fields take their defaults"
    );
    // With a threshold nothing reaches, the bot hands off instead of answering.
    let a = search(&app, &boss, "下单以后大概几天给发出去").await;
    assert_eq!(
        a.body["candidates"][0]["entry"]["key"], "kb-1",
        "{:?}",
        a.body
    );
    assert_eq!(a.body["decision"]["action"], "hand_off", "{:?}", a.body);
    assert_eq!(a.body["decision"]["reason"], "low_confidence");
}

async fn excel_csv_and_jsonl_round_trip_and_bad_files_change_nothing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    seed(&app, &boss).await;

    for format in ["xlsx", "csv", "jsonl"] {
        let file = app
            .send(
                app.client
                    .get(app.url(&format!("/api/v1/knowledge/export?format={format}")))
                    .bearer_auth(&boss),
            )
            .await;
        assert_eq!(file.status, 200, "{format}");
        let bytes = file.bytes.clone();
        assert!(!bytes.is_empty());
        // Importing what was exported updates every entry and adds none.
        let a = app
            .send(
                app.client
                    .post(app.url(&format!("/api/v1/knowledge/import?format={format}")))
                    .bearer_auth(&boss)
                    .body(bytes),
            )
            .await;
        assert_eq!(a.status, 200, "{format}: {:?}", a.body);
        assert_eq!(
            (a.body["inserted"].as_u64(), a.body["updated"].as_u64()),
            (Some(0), Some(5))
        );
    }

    // A CSV with Chinese headers adds drafts; one bad row rejects the file with its row.
    let csv = "\u{feff}编号,标准问题,相似问题,答案,标签\n\
        kb-20,有赠品吗,送什么赠品|有没有小礼物,亲，满199送湿巾一包哦,赠品\n\
        kb-21,,缺问题,答案,\n";
    let a = app
        .send(
            app.client
                .post(app.url("/api/v1/knowledge/import"))
                .bearer_auth(&boss)
                .header("content-type", "text/csv")
                .body(csv),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (422, "validation_failed"),
        "{:?}",
        a.body
    );
    assert_eq!(a.body["details"][0]["row"], 3);
    let list = app.get("/api/v1/knowledge", Some(&boss)).await;
    assert_eq!(list.body["total"], 5, "nothing written");

    let good = "编号,标准问题,相似问题,答案,标签\nkb-20,有赠品吗,送什么赠品|有没有小礼物,亲，满199送湿巾一包哦,赠品\n";
    let a = app
        .send(
            app.client
                .post(app.url("/api/v1/knowledge/import?format=csv"))
                .bearer_auth(&boss)
                .body(good),
        )
        .await;
    assert_eq!(
        (a.status, a.body["inserted"].as_u64()),
        (200, Some(1)),
        "{:?}",
        a.body
    );
    let drafts = app.get("/api/v1/knowledge?status=draft", Some(&boss)).await;
    assert_eq!(
        drafts.body["entries"][0]["similar"],
        json!(["送什么赠品", "有没有小礼物"])
    );

    let garbage = app
        .send(
            app.client
                .post(app.url("/api/v1/knowledge/import?format=xlsx"))
                .bearer_auth(&boss)
                .body(vec![1u8, 2, 3, 4]),
        )
        .await;
    assert_eq!((garbage.status, garbage.code()), (422, "validation_failed"));
    let unknown = app
        .send(
            app.client
                .post(app.url("/api/v1/knowledge/import"))
                .bearer_auth(&boss)
                .header("content-type", "application/pdf")
                .body("x"),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (415, "unsupported_media_type")
    );
}

both_backends!(
    entries_are_found_at_once_and_follow_their_lifecycle,
    bad_entries_and_settings_are_refused_with_the_field,
    excel_csv_and_jsonl_round_trip_and_bad_files_change_nothing,
);
