//! Conversation QA (质检) through the API: a conversation closed through the API is scored; a
//! supervisor overrides an item and the total follows; the conversation's agent appeals once
//! and a supervisor decides; the supervisors' list and averages; the rubric's weights; roles,
//! tenancy and bad input that changes nothing; the live lint's findings cost points; a shopper
//! coming back within 48 h costs the earlier conversation's resolution.

use kefu_domain::conversation::{decide_close, fold_new};
use kefu_domain::*;
use kefu_store::{AppendBatch, Store};
use kefu_testkit::*;
use serde_json::{Value, json};

async fn shopper_says(app: &TestApp, visitor: &str, text: &str) -> String {
    let sent = app
        .post(
            "/api/v1/widget/messages",
            Some(visitor),
            &json!({ "text": text }),
        )
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn agent_says(app: &TestApp, token: &str, id: &str, text: &str) {
    let reply = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(token),
            &json!({ "text": text }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
}

async fn close(app: &TestApp, token: &str, id: &str) {
    let closed = app
        .post(
            &format!("/api/v1/conversations/{id}/close"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.body);
}

fn item<'a>(qa: &'a Value, name: &str) -> &'a Value {
    qa["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["item"] == name)
        .unwrap_or_else(|| panic!("no item {name} in {qa}"))
}

/// A conversation the seeded agent served well and closed; its id.
async fn served_and_closed(app: &TestApp, agent: &str) -> String {
    let visitor = app.shopper(&app.shop).await;
    let id = shopper_says(app, &visitor, "快递三天没动了，帮我看看").await;
    app.clock.advance_millis(5_000);
    agent_says(
        app,
        agent,
        &id,
        "理解您的心情，抱歉让您久等了，我马上为您查询物流，好的亲，这边帮您催一下快递",
    )
    .await;
    app.clock.advance_millis(10_000);
    shopper_says(app, &visitor, "好的，谢谢").await;
    app.clock.advance_millis(3_000);
    agent_says(app, agent, &id, "不客气，还有什么可以帮您，祝您生活愉快").await;
    close(app, agent, &id).await;
    id
}

async fn closing_scores_and_supervisors_review_and_agents_appeal_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let id = served_and_closed(&app, &agent).await;
    let qa_path = format!("/api/v1/conversations/{id}/qa");

    // Scored at the close: six items, weights summing to 100, the agent may appeal.
    let stored = app
        .store
        .store
        .qa_score(app.shop.id(), id.parse().expect("id"))
        .await
        .expect("read");
    assert!(stored.is_some(), "scored when it closed, before any read");
    let qa = app.get(&qa_path, Some(&agent)).await;
    assert_eq!(qa.status, 200, "{:?}", qa.body);
    let items = qa.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 6);
    let weights: u64 = items
        .iter()
        .map(|i| i["weight"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(weights, 100);
    assert_eq!(qa.body["agent"]["id"], json!(app.shop.agent.id.to_string()));
    assert_eq!(item(&qa.body, "timeliness")["score"], 100);
    assert_eq!(item(&qa.body, "resolution")["score"], 100);
    assert_eq!(item(&qa.body, "forbidden_phrases")["score"], 100);
    let politeness = item(&qa.body, "politeness");
    assert!(politeness["score"].as_u64() > Some(50), "{politeness}");
    assert!(
        politeness["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("目标 60/30/10")),
        "{politeness}"
    );
    let total = qa.body["total"].as_u64().expect("total");
    assert!((80..=100).contains(&total), "{}", qa.body);
    assert_eq!(qa.body["total"], qa.body["auto_total"]);
    assert_eq!(
        (qa.body["can_appeal"].clone(), qa.body["can_review"].clone()),
        (json!(true), json!(false))
    );

    // A supervisor overrides timeliness; the total follows, the scorer's score is kept.
    let reviewed = app
        .post(
            &format!("{qa_path}/reviews"),
            Some(&boss),
            &json!({"item": "timeliness", "score": 50, "comment": "首次响应前有一段沉默"}),
        )
        .await;
    assert_eq!(reviewed.status, 201, "{:?}", reviewed.body);
    let t = item(&reviewed.body, "timeliness");
    assert_eq!(
        (t["score"].clone(), t["auto_score"].clone()),
        (json!(50), json!(100))
    );
    assert_eq!(t["review"]["comment"], "首次响应前有一段沉默");
    assert_eq!(
        t["review"]["reviewer"]["id"],
        json!(app.shop.supervisor.id.to_string())
    );
    let after_review = reviewed.body["total"].as_u64().expect("total");
    assert_eq!(
        total - after_review,
        10,
        "timeliness weighs 20: 50 points of it"
    );
    assert_eq!(reviewed.body["can_review"], true);

    // Refused, each changing nothing: an agent reviewing, bad items, scores and comments.
    let reviews_before = reviewed.body["reviews"].as_array().map(Vec::len);
    for (token, body, status, code) in [
        (
            &agent,
            json!({"item": "timeliness", "score": 100, "comment": "我觉得很快"}),
            403,
            "forbidden",
        ),
        (
            &boss,
            json!({"item": "speed", "score": 10, "comment": "x"}),
            422,
            "validation_failed",
        ),
        (
            &boss,
            json!({"item": "emotion", "score": 101, "comment": "x"}),
            422,
            "validation_failed",
        ),
        (
            &boss,
            json!({"item": "emotion", "score": 10, "comment": "  "}),
            422,
            "validation_failed",
        ),
        (
            &boss,
            json!({"item": "emotion", "score": 10, "comment": "x", "extra": 1}),
            422,
            "validation_failed",
        ),
    ] {
        let refused = app
            .post(&format!("{qa_path}/reviews"), Some(token), &body)
            .await;
        assert_eq!((refused.status, refused.code()), (status, code), "{body}");
    }
    let unchanged = app.get(&qa_path, Some(&boss)).await;
    assert_eq!(unchanged.body["total"].as_u64(), Some(after_review));
    assert_eq!(
        unchanged.body["reviews"].as_array().map(Vec::len),
        reviews_before
    );

    // Only the conversation's agent appeals, once, about a known item with a reason.
    let appeal_path = format!("{qa_path}/appeal");
    let by_boss = app
        .post(
            &appeal_path,
            Some(&boss),
            &json!({"item": "timeliness", "reason": "x"}),
        )
        .await;
    assert_eq!((by_boss.status, by_boss.code()), (403, "forbidden"));
    let no_reason = app
        .post(
            &appeal_path,
            Some(&agent),
            &json!({"item": "timeliness", "reason": ""}),
        )
        .await;
    assert_eq!(
        (no_reason.status, no_reason.code()),
        (422, "validation_failed")
    );
    let appealed = app
        .post(
            &appeal_path,
            Some(&agent),
            &json!({"item": "timeliness", "reason": "5 秒内就回复了，没有沉默"}),
        )
        .await;
    assert_eq!(appealed.status, 201, "{:?}", appealed.body);
    assert_eq!(appealed.body["appeal"]["status"], "open");
    assert_eq!(appealed.body["can_appeal"], false);
    let again = app
        .post(
            &appeal_path,
            Some(&agent),
            &json!({"item": "politeness", "reason": "再申诉一次"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "already_appealed"));

    // The supervisors' queue of open appeals.
    let denied = app.get("/api/v1/qa/appeals", Some(&agent)).await;
    assert_eq!((denied.status, denied.code()), (403, "forbidden"));
    let open = app.get("/api/v1/qa/appeals?state=open", Some(&boss)).await;
    assert_eq!(open.status, 200, "{:?}", open.body);
    let listed = open.body["items"].as_array().expect("items");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["agent"]["id"],
        json!(app.shop.agent.id.to_string())
    );
    let appeal_id = listed[0]["id"].as_str().expect("id").to_owned();
    let bad_state = app.get("/api/v1/qa/appeals?state=maybe", Some(&boss)).await;
    assert_eq!(bad_state.status, 422);

    // Deciding: bad input and agents refused; an accept sets the item; deciding twice refused.
    let decision_path = format!("/api/v1/qa/appeals/{appeal_id}/decision");
    for (token, body, status) in [
        (
            &agent,
            json!({"decision": "accept", "comment": "ok", "score": 100}),
            403,
        ),
        (&boss, json!({"decision": "accept", "comment": "ok"}), 422),
        (
            &boss,
            json!({"decision": "reject", "comment": "no", "score": 10}),
            422,
        ),
        (&boss, json!({"decision": "maybe", "comment": "?"}), 422),
        (
            &boss,
            json!({"decision": "accept", "comment": "ok", "score": -1}),
            422,
        ),
    ] {
        let refused = app.post(&decision_path, Some(token), &body).await;
        assert_eq!(refused.status, status, "{body}: {:?}", refused.body);
    }
    let still_open = app.get("/api/v1/qa/appeals", Some(&boss)).await;
    assert_eq!(still_open.body["items"].as_array().map(Vec::len), Some(1));
    let accepted = app
        .post(
            &decision_path,
            Some(&boss),
            &json!({"decision": "accept", "comment": "核实聊天记录，确实及时", "score": 100}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert_eq!(accepted.body["appeal"]["status"], "accepted");
    assert_eq!(
        accepted.body["appeal"]["decision"],
        "核实聊天记录，确实及时"
    );
    assert_eq!(accepted.body["total"].as_u64(), Some(total));
    let t = item(&accepted.body, "timeliness");
    assert_eq!(t["score"], 100);
    assert_eq!(t["review"]["appeal_id"], json!(appeal_id));
    assert_eq!(accepted.body["reviews"].as_array().map(Vec::len), Some(2));
    let twice = app
        .post(
            &decision_path,
            Some(&boss),
            &json!({"decision": "reject", "comment": "改主意了"}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "appeal_decided"));

    // The supervisors' list with per-agent averages and filters.
    let list = app.get("/api/v1/qa/scores", Some(&boss)).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let rows = list.body["items"].as_array().expect("items");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["conversation_id"], json!(id));
    assert_eq!(rows[0]["appeal"], "accepted");
    let agents = list.body["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["conversations"], 1);
    assert_eq!(agents[0]["average"].as_f64(), Some(total as f64));
    let someone_else = app
        .get(
            &format!("/api/v1/qa/scores?agent={}", app.shop.supervisor.id),
            Some(&boss),
        )
        .await;
    assert_eq!(someone_else.body["items"].as_array().map(Vec::len), Some(0));
    let tomorrow = app.clock.now().plus_millis(86_400_000).to_rfc3339();
    let later = app
        .client
        .get(app.url("/api/v1/qa/scores"))
        .query(&[("from", tomorrow.as_str())])
        .bearer_auth(&boss);
    let later = app.send(later).await;
    assert_eq!(later.body["items"].as_array().map(Vec::len), Some(0));
    for bad in [
        "/api/v1/qa/scores?from=soon",
        "/api/v1/qa/scores?agent=x",
        "/api/v1/qa/scores?limit=0",
    ] {
        let refused = app.get(bad, Some(&boss)).await;
        assert_eq!(
            (refused.status, refused.code()),
            (422, "validation_failed"),
            "{bad}"
        );
    }
    let not_for_agents = app.get("/api/v1/qa/scores", Some(&agent)).await;
    assert_eq!(not_for_agents.status, 403);

    // Tenancy: another shop's staff see nothing of it.
    let outsider = app.login(&app.other, &app.other.supervisor).await;
    let hidden = app.get(&qa_path, Some(&outsider)).await;
    assert_eq!((hidden.status, hidden.code()), (404, "not_found"));
    let hidden = app
        .post(
            &decision_path,
            Some(&outsider),
            &json!({"decision": "reject", "comment": "x"}),
        )
        .await;
    assert_eq!((hidden.status, hidden.code()), (404, "not_found"));
    let theirs = app.get("/api/v1/qa/scores", Some(&outsider)).await;
    assert_eq!(theirs.body["items"].as_array().map(Vec::len), Some(0));

    // An open conversation has no score yet.
    let visitor = app.shopper(&app.other).await;
    let open_id = shopper_says(&app, &visitor, "在吗").await;
    let other_agent = app.login(&app.other, &app.other.agent).await;
    let not_yet = app
        .get(
            &format!("/api/v1/conversations/{open_id}/qa"),
            Some(&other_agent),
        )
        .await;
    assert_eq!((not_yet.status, not_yet.code()), (409, "not_scored"));
}

async fn the_rubric_is_the_shops_and_validated(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let got = app.get("/api/v1/settings/qa", Some(&agent)).await;
    assert_eq!(got.status, 200, "{:?}", got.body);
    assert_eq!(got.body["version"], 0);
    assert_eq!(got.body["weights"]["timeliness"], 20);

    let weights = json!({"timeliness": 40, "forbidden_phrases": 10, "promises": 10,
        "politeness": 10, "resolution": 20, "emotion": 10});
    let by_agent = app
        .client
        .put(app.url("/api/v1/settings/qa"))
        .bearer_auth(&agent)
        .json(&json!({ "weights": weights }));
    assert_eq!(app.send(by_agent).await.status, 403);
    for bad in [
        json!({"weights": {"timeliness": 50, "forbidden_phrases": 10, "promises": 10,
            "politeness": 10, "resolution": 20, "emotion": 10}}),
        json!({"weights": {"timeliness": 40}}),
        json!({"weights": weights, "version": 7}),
        json!({"weights": {"timeliness": 300, "forbidden_phrases": 0, "promises": 0,
            "politeness": 0, "resolution": 0, "emotion": 0}}),
    ] {
        let r = app
            .client
            .put(app.url("/api/v1/settings/qa"))
            .bearer_auth(&boss)
            .json(&bad);
        let refused = app.send(r).await;
        assert_eq!(
            (refused.status, refused.code()),
            (422, "validation_failed"),
            "{bad}"
        );
    }
    assert_eq!(
        app.get("/api/v1/settings/qa", Some(&boss)).await.body["version"],
        0,
        "nothing changed"
    );
    let put = app
        .client
        .put(app.url("/api/v1/settings/qa"))
        .bearer_auth(&boss)
        .json(&json!({ "weights": weights }));
    let saved = app.send(put).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 1);

    // The next close uses the new weights and records the rubric's version.
    let id = served_and_closed(&app, &agent).await;
    let qa = app
        .get(&format!("/api/v1/conversations/{id}/qa"), Some(&boss))
        .await;
    assert_eq!(qa.body["rubric_version"], 1);
    assert_eq!(item(&qa.body, "timeliness")["weight"], 40);
}

/// An agent reply written straight to the store with the live lint's findings in its
/// analysis, as the lint will record them.
async fn lint_findings_cost_points_and_a_return_costs_resolution(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let visitor = app.shopper(&app.shop).await;
    let id = shopper_says(&app, &visitor, "这个能退吗，什么时候到").await;
    app.clock.advance_millis(4_000);
    agent_says(&app, &agent, &id, "亲，我帮您看一下").await;
    app.clock.advance_millis(4_000);
    // The live lint records 不知道 and 你自己看 (forbidden), 保证 and 明天到 (promises).
    agent_says(&app, &agent, &id, "不知道，你自己看。保证明天到").await;
    app.clock.advance_millis(2_000);
    close(&app, &agent, &id).await;

    let qa_path = format!("/api/v1/conversations/{id}/qa");
    let qa = app.get(&qa_path, Some(&boss)).await;
    assert_eq!(qa.status, 200, "{:?}", qa.body);
    let forbidden = item(&qa.body, "forbidden_phrases");
    assert_eq!(forbidden["score"], 50, "{forbidden}");
    assert!(
        forbidden["evidence"][0]["note"]
            .as_str()
            .is_some_and(|n| n.contains("不知道") && n.contains("建议")),
        "{forbidden}"
    );
    assert!(forbidden["evidence"][0]["message_id"].is_string());
    assert_eq!(item(&qa.body, "promises")["score"], 20);
    assert_eq!(item(&qa.body, "resolution")["score"], 100);

    // The shopper is back within 48 h: the earlier conversation is scored again.
    app.clock.advance_millis(3 * 3_600_000);
    shopper_says(&app, &visitor, "还是没收到，怎么回事").await;
    let again = app.get(&qa_path, Some(&boss)).await;
    let resolution = item(&again.body, "resolution");
    assert_eq!(resolution["score"], 50, "{resolution}");
    assert!(
        resolution["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|e| e["note"].as_str().is_some_and(|n| n.contains("48 小时"))),
        "{resolution}"
    );
    assert!(again.body["total"].as_u64() < qa.body["total"].as_u64());
}

async fn closes_from_before_qa_are_scored_on_read_and_by_the_backfill(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let store = &app.store.store;
    let shop = app.shop.id();
    // Two conversations closed straight in the store, as a close from before QA existed.
    let mut ids = Vec::new();
    for shopper in [&app.shop, &app.other] {
        let visitor = app.shopper(shopper).await;
        let id = shopper_says(&app, &visitor, "在吗").await;
        ids.push((shopper.id(), id));
    }
    agent_says(&app, &agent, &ids[0].1, "在的，为您服务").await;
    for (shop, id) in &ids {
        let c = store
            .conversation(*shop, id.parse().expect("id"))
            .await
            .expect("read")
            .expect("exists");
        let closed = decide_close(&c, Sender::System, app.clock.now()).expect("closes");
        let after = fold_new(Some(c.clone()), std::slice::from_ref(&closed)).expect("folds");
        store
            .append(AppendBatch {
                shop: *shop,
                events: vec![closed],
                conversation: after,
                expected_version: Some(c.version),
                idempotency: None,
                analyses: Vec::new(),
            })
            .await
            .expect("appended");
    }
    let unscored = |shop, id: &str| store.qa_score(shop, id.parse().expect("id"));
    assert!(unscored(shop, &ids[0].1).await.expect("read").is_none());

    // The backfill scores what has no score and leaves the rest.
    let now = app.clock.now();
    let done = kefu_server::qa::backfill(&**store, shop, false, now)
        .await
        .expect("backfill");
    assert_eq!((done.scored, done.kept), (1, 0));
    let again = kefu_server::qa::backfill(&**store, shop, false, now)
        .await
        .expect("backfill");
    assert_eq!((again.scored, again.kept), (0, 1));
    let scored = unscored(shop, &ids[0].1)
        .await
        .expect("read")
        .expect("scored");
    assert_eq!(scored.agent, Some(app.shop.agent.id), "who held it");

    // The other shop's was not touched by this shop's backfill, and is scored when first read.
    let other = app.other.id();
    assert!(unscored(other, &ids[1].1).await.expect("read").is_none());
    let boss = app.login(&app.other, &app.other.supervisor).await;
    let read = app
        .get(
            &format!("/api/v1/conversations/{}/qa", ids[1].1),
            Some(&boss),
        )
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body["agent"], Value::Null, "nobody served it");
    assert_eq!(read.body["can_appeal"], false);
    assert!(unscored(other, &ids[1].1).await.expect("read").is_some());
}

both_backends!(
    closing_scores_and_supervisors_review_and_agents_appeal_once,
    the_rubric_is_the_shops_and_validated,
    lint_findings_cost_points_and_a_return_costs_resolution,
    closes_from_before_qa_are_scored_on_read_and_by_the_backfill,
);
