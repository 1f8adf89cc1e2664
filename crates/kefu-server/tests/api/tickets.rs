//! Tickets (工单) through the API: 首问负责 ownership, repeats, departments and due times,
//! closing by the owner only and only when confirmed with the shopper, reopening, hand-over,
//! reminders that fire once, tenancy and malformed input.

use kefu_domain::*;
use kefu_server::AppState;
use kefu_server::auth::hash_password;
use kefu_store::Store;
use kefu_testkit::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The app with its state kept, so a test can run the reminder round itself.
async fn spawn(backend: TestBackend) -> (TestApp, AppState) {
    let kept: Arc<Mutex<Option<AppState>>> = Arc::default();
    let slot = kept.clone();
    let app = TestApp::spawn_with(backend, move |state| {
        *slot.lock().expect("lock") = Some(state.clone());
        state
    })
    .await;
    let state = kept.lock().expect("lock").take().expect("state kept");
    (app, state)
}

/// A second agent of the demo shop, logged in.
async fn second_agent(app: &TestApp) -> (Agent, String) {
    let other = agent(app.shop.id(), "aqiang", Role::Agent);
    let hash = hash_password(PASSWORD).expect("hash");
    app.store
        .store
        .upsert_agent(&other, &hash)
        .await
        .expect("agent");
    let token = app.login(&app.shop, &other).await;
    (other, token)
}

/// A conversation the shop's seeded agent took by replying; its id.
async fn taken_conversation(app: &TestApp, agent_token: &str) -> String {
    let visitor = app.shopper(&app.shop).await;
    let sent = app
        .post(
            "/api/v1/widget/messages",
            Some(&visitor),
            &json!({"text": "快递三天没动了"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    let id = sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reply = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(agent_token),
            &json!({"text": "亲，我帮您查一下"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    id
}

fn due_in(app: &TestApp, ms: i64) -> String {
    app.clock.now().plus_millis(ms).to_rfc3339()
}

fn path(id: &Value, action: &str) -> String {
    let id = id.as_str().expect("ticket id");
    if action.is_empty() {
        format!("/api/v1/tickets/{id}")
    } else {
        format!("/api/v1/tickets/{id}/{action}")
    }
}

const HOUR: i64 = 3_600_000;

async fn first_taker_owns_the_ticket_through_its_life(backend: TestBackend) {
    let (app, _) = spawn(backend).await;
    let xiaomei = app.login(&app.shop, &app.shop.agent).await;
    let (aqiang, other_token) = second_agent(&app).await;
    let conversation = taken_conversation(&app, &xiaomei).await;
    let order_no = app.shop.order.order_no.clone();

    // aqiang opens it, but xiaomei took the conversation first: she owns it.
    let created = app
        .post(
            "/api/v1/tickets",
            Some(&other_token),
            &json!({
                "conversation_id": conversation,
                "order_no": order_no,
                "kind": "lost_parcel",
                "title": "快递三天没动",
                "description": "物流停在杭州中转站",
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let t = &created.body["ticket"];
    let id = t["id"].clone();
    assert_eq!(t["owner"]["id"], json!(app.shop.agent.id.to_string()));
    assert_eq!(
        t["owner"]["display_name"],
        json!(app.shop.agent.display_name)
    );
    assert_eq!(t["customer"]["id"], json!(app.shop.customer.id.to_string()));
    assert_eq!(t["conversation_id"], json!(conversation));
    assert_eq!(
        (t["status"].as_str(), t["number"].as_i64()),
        (Some("open"), Some(1))
    );
    assert_eq!(t["repeat_of"], Value::Null);
    let history = created.body["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["change"], "created");
    assert_eq!(history[0]["by"]["id"], json!(aqiang.id.to_string()));

    // A second complaint about the same order, without a conversation: owned by its creator
    // and recorded as a repeat of the first.
    let again = app
        .post(
            "/api/v1/tickets",
            Some(&other_token),
            &json!({
                "customer_id": app.shop.customer.id.to_string(),
                "order_no": order_no,
                "kind": "quality_claim",
                "title": "顾客再次投诉",
            }),
        )
        .await;
    assert_eq!(again.status, 201, "{:?}", again.body);
    assert_eq!(again.body["ticket"]["repeat_of"], id);
    assert_eq!(again.body["repeat_of_number"], 1);
    assert_eq!(
        again.body["ticket"]["owner"]["id"],
        json!(aqiang.id.to_string())
    );
    assert_eq!(again.body["ticket"]["number"], 2);

    // A department with a due time; a note; the department resolves it.
    let due = due_in(&app, 4 * HOUR);
    let assigned = app
        .post(
            &path(&id, "department"),
            Some(&other_token),
            &json!({"department": "logistics", "due_at": due}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{:?}", assigned.body);
    assert_eq!(assigned.body["ticket"]["status"], "in_progress");
    assert_eq!(assigned.body["ticket"]["department"], "logistics");
    assert_eq!(assigned.body["ticket"]["due_at"], json!(due));
    let noted = app
        .post(
            &path(&id, "notes"),
            Some(&other_token),
            &json!({"text": "已催快递"}),
        )
        .await;
    assert_eq!(noted.status, 200);
    let close_early = app
        .post(
            &path(&id, "reopen"),
            Some(&xiaomei),
            &json!({"reason": "还没关呢"}),
        )
        .await;
    assert_eq!(
        (close_early.status, close_early.code()),
        (409, "ticket_state")
    );
    let resolved = app
        .post(
            &path(&id, "resolve"),
            Some(&other_token),
            &json!({"note": "包裹找到了"}),
        )
        .await;
    assert_eq!(resolved.status, 200);
    assert_eq!(resolved.body["ticket"]["status"], "resolved");

    // Closing: not by someone else, not without confirming with the shopper.
    let by_other = app
        .post(
            &path(&id, "close"),
            Some(&other_token),
            &json!({"confirmed_with_shopper": true}),
        )
        .await;
    assert_eq!((by_other.status, by_other.code()), (403, "not_owner"));
    let unconfirmed = app
        .post(&path(&id, "close"), Some(&xiaomei), &json!({}))
        .await;
    assert_eq!(
        (unconfirmed.status, unconfirmed.code()),
        (422, "validation_failed")
    );
    assert_eq!(
        unconfirmed.body["details"][0]["field"],
        "confirmed_with_shopper"
    );
    let still = app.get(&path(&id, ""), Some(&xiaomei)).await;
    assert_eq!(
        still.body["ticket"]["status"], "resolved",
        "refusals change nothing"
    );
    let closed = app
        .post(
            &path(&id, "close"),
            Some(&xiaomei),
            &json!({"confirmed_with_shopper": true, "note": "顾客已收到"}),
        )
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    assert_eq!(closed.body["ticket"]["status"], "closed");
    assert!(closed.body["ticket"]["closed_at"].is_string());
    let twice = app
        .post(
            &path(&id, "close"),
            Some(&xiaomei),
            &json!({"confirmed_with_shopper": true}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "ticket_state"));

    // Reopened twice: counted, back with its owner.
    for n in 1..=2 {
        let reopened = app
            .post(
                &path(&id, "reopen"),
                Some(&other_token),
                &json!({"reason": "顾客说又坏了"}),
            )
            .await;
        assert_eq!(reopened.status, 200, "{:?}", reopened.body);
        assert_eq!(reopened.body["ticket"]["reopen_count"], n);
        assert_eq!(reopened.body["ticket"]["status"], "open");
        assert_eq!(reopened.body["ticket"]["department"], Value::Null);
        let closed = app
            .post(
                &path(&id, "close"),
                Some(&xiaomei),
                &json!({"confirmed_with_shopper": true}),
            )
            .await;
        assert_eq!(closed.status, 200);
    }
    let detail = app.get(&path(&id, ""), Some(&xiaomei)).await;
    let kinds: Vec<&str> = detail.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|c| c["change"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "department_assigned",
            "note",
            "resolved",
            "closed",
            "reopened",
            "closed",
            "reopened",
            "closed"
        ]
    );
    assert_eq!(detail.body["history"][1]["department"], "logistics");
    assert_eq!(detail.body["history"][5]["detail"], "顾客说又坏了");

    // The list: filters.
    let list = |q: &'static str| {
        let app = &app;
        let token = other_token.clone();
        async move { app.get(&format!("/api/v1/tickets{q}"), Some(&token)).await }
    };
    let active = list("").await;
    assert_eq!(active.status, 200);
    assert_eq!(active.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(active.body["items"][0]["number"], 2);
    let all = list("?status=all").await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2));
    let closed = list("?status=closed").await;
    assert_eq!(closed.body["items"][0]["number"], 1);
    let mine = list("?status=all&mine=true").await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine.body["items"][0]["number"], 2);
    let logistics = list("?status=all&department=finance").await;
    assert_eq!(logistics.body["items"].as_array().map(Vec::len), Some(0));
}

async fn supervisors_hand_tickets_over(backend: TestBackend) {
    let (app, _) = spawn(backend).await;
    let xiaomei = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let (aqiang, other_token) = second_agent(&app).await;
    let created = app
        .post(
            "/api/v1/tickets",
            Some(&xiaomei),
            &json!({"customer_id": app.shop.customer.id.to_string(), "kind": "refund_check", "title": "退款核实"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["ticket"]["id"].clone();
    let by_agent = app
        .post(
            &path(&id, "owner"),
            Some(&xiaomei),
            &json!({"agent": aqiang.id.to_string()}),
        )
        .await;
    assert_eq!((by_agent.status, by_agent.code()), (403, "forbidden"));
    let stranger = app
        .post(
            &path(&id, "owner"),
            Some(&boss),
            &json!({"agent": app.other.agent.id.to_string()}),
        )
        .await;
    assert_eq!(
        (stranger.status, stranger.code()),
        (422, "validation_failed")
    );
    assert_eq!(stranger.body["details"][0]["field"], "agent");
    let moved = app
        .post(
            &path(&id, "owner"),
            Some(&boss),
            &json!({"agent": aqiang.id.to_string(), "reason": "小美休假"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(
        moved.body["ticket"]["owner"]["id"],
        json!(aqiang.id.to_string())
    );
    let last = &moved.body["history"][1];
    assert_eq!(last["change"], "owner_changed");
    assert_eq!(
        last["previous_owner"]["id"],
        json!(app.shop.agent.id.to_string())
    );
    assert_eq!(last["owner"]["id"], json!(aqiang.id.to_string()));
    assert_eq!(last["by"]["id"], json!(app.shop.supervisor.id.to_string()));
    let old_owner = app
        .post(
            &path(&id, "close"),
            Some(&xiaomei),
            &json!({"confirmed_with_shopper": true}),
        )
        .await;
    assert_eq!(old_owner.code(), "not_owner");
    let new_owner = app
        .post(
            &path(&id, "close"),
            Some(&other_token),
            &json!({"confirmed_with_shopper": true}),
        )
        .await;
    assert_eq!(new_owner.status, 200);
}

async fn reminders_fire_once_per_due_time(backend: TestBackend) {
    let (app, state) = spawn(backend).await;
    let token = app.login(&app.shop, &app.shop.agent).await;
    let mut live = app.live(&token).await;
    let created = app
        .post(
            "/api/v1/tickets",
            Some(&token),
            &json!({"customer_id": app.shop.customer.id.to_string(), "kind": "lost_parcel", "title": "丢件"}),
        )
        .await;
    let id = created.body["ticket"]["id"].clone();
    let due = due_in(&app, 3 * HOUR);
    let assigned = app
        .post(
            &path(&id, "department"),
            Some(&token),
            &json!({"department": "warehouse", "due_at": due}),
        )
        .await;
    assert_eq!(assigned.status, 200);

    let now = || app.clock.now();
    assert_eq!(
        kefu_server::tickets::remind(&state, now())
            .await
            .expect("round"),
        0
    );
    app.clock.advance_millis(2 * HOUR + 60_000);
    assert_eq!(
        kefu_server::tickets::remind(&state, now())
            .await
            .expect("round"),
        1
    );
    let frame = live.next_of("ticket.reminder").await;
    assert_eq!(frame["overdue"], false);
    assert_eq!(frame["ticket"]["id"], id);
    assert_eq!(frame["ticket"]["department"], "warehouse");
    // Once: the next rounds (or a restarted server reading the store) send nothing more.
    app.clock.advance_millis(60_000);
    assert_eq!(
        kefu_server::tickets::remind(&state, now())
            .await
            .expect("round"),
        0
    );
    live.silent_for(200).await;

    app.clock.advance_millis(HOUR);
    assert_eq!(
        kefu_server::tickets::remind(&state, now())
            .await
            .expect("round"),
        1
    );
    let frame = live.next_of("ticket.reminder").await;
    assert_eq!(frame["overdue"], true);
    assert_eq!(frame["ticket"]["overdue"], true);
    assert_eq!(
        kefu_server::tickets::remind(&state, now())
            .await
            .expect("round"),
        0
    );
    let overdue = app.get("/api/v1/tickets?overdue=true", Some(&token)).await;
    assert_eq!(overdue.body["items"].as_array().map(Vec::len), Some(1));

    // A new due time gets its own reminders.
    let later = due_in(&app, 30 * 60_000);
    let moved = app
        .post(
            &path(&id, "department"),
            Some(&token),
            &json!({"department": "warehouse", "due_at": later}),
        )
        .await;
    assert_eq!(moved.status, 200);
    assert_eq!(
        moved.body["history"]
            .as_array()
            .and_then(|h| h.last())
            .map(|c| c["change"].clone()),
        Some(json!("due_changed"))
    );
    assert_eq!(
        kefu_server::tickets::remind(&state, now())
            .await
            .expect("round"),
        1
    );
    let detail = app.get(&path(&id, ""), Some(&token)).await;
    let reminders: Vec<&str> = detail.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|c| c["change"] == "reminded")
        .filter_map(|c| c["reminder"].as_str())
        .collect();
    assert_eq!(reminders, ["due_soon", "overdue", "due_soon"]);
}

async fn other_shops_tickets_are_not_found(backend: TestBackend) {
    let (app, _) = spawn(backend).await;
    let mine = app.login(&app.shop, &app.shop.agent).await;
    let theirs = app.login(&app.other, &app.other.agent).await;
    let their_conversation = {
        let visitor = app.shopper(&app.other).await;
        let sent = app
            .post(
                "/api/v1/widget/messages",
                Some(&visitor),
                &json!({"text": "在吗"}),
            )
            .await;
        sent.body["conversation_id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let created = app
        .post(
            "/api/v1/tickets",
            Some(&theirs),
            &json!({"customer_id": app.other.customer.id.to_string(), "kind": "other", "title": "别家的工单"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["ticket"]["id"].clone();

    assert_eq!(app.get(&path(&id, ""), Some(&mine)).await.status, 404);
    for (action, body) in [
        (
            "department",
            json!({"department": "finance", "due_at": due_in(&app, HOUR * 5)}),
        ),
        ("notes", json!({"text": "串店"})),
        ("resolve", json!({})),
        ("close", json!({"confirmed_with_shopper": true})),
        ("reopen", json!({"reason": "x"})),
    ] {
        let a = app.post(&path(&id, action), Some(&mine), &body).await;
        assert_eq!((a.status, a.code()), (404, "not_found"), "{action}");
    }
    let list = app.get("/api/v1/tickets?status=all", Some(&mine)).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(0));
    // Their conversation and customer are not ours to open tickets on.
    for body in [
        json!({"conversation_id": their_conversation, "kind": "other", "title": "x"}),
        json!({"customer_id": app.other.customer.id.to_string(), "kind": "other", "title": "x"}),
    ] {
        let a = app.post("/api/v1/tickets", Some(&mine), &body).await;
        assert_eq!((a.status, a.code()), (422, "validation_failed"), "{body}");
    }
    let detail = app.get(&path(&id, ""), Some(&theirs)).await;
    assert_eq!(
        detail.body["history"].as_array().map(Vec::len),
        Some(1),
        "nothing was added"
    );
    let ours = app.get("/api/v1/tickets?status=all", Some(&mine)).await;
    assert_eq!(ours.body["items"].as_array().map(Vec::len), Some(0));
}

async fn malformed_ticket_requests_change_nothing(backend: TestBackend) {
    let (app, _) = spawn(backend).await;
    let token = app.login(&app.shop, &app.shop.agent).await;
    let customer = app.shop.customer.id.to_string();
    let bad_creates = [
        (
            json!({"customer_id": customer, "kind": "other", "title": "x", "extra": 1}),
            "body",
        ),
        (
            json!({"customer_id": customer, "kind": "refund", "title": "x"}),
            "kind",
        ),
        (
            json!({"customer_id": customer, "kind": "other", "title": "  "}),
            "title",
        ),
        (
            json!({"customer_id": customer, "kind": "other", "title": "x", "due_at": "tomorrow"}),
            "due_at",
        ),
        (
            json!({"customer_id": customer, "kind": "other", "title": "x", "due_at": "2020-01-01T00:00:00Z"}),
            "due_at",
        ),
        (
            json!({"customer_id": customer, "kind": "other", "title": "x", "order_no": "E 1"}),
            "order_no",
        ),
        (
            json!({"customer_id": "nope", "kind": "other", "title": "x"}),
            "customer_id",
        ),
        (json!({"kind": "other", "title": "x"}), "customer_id"),
        (
            json!({"customer_id": customer, "kind": 3, "title": "x"}),
            "body",
        ),
    ];
    for (body, field) in bad_creates {
        let a = app.post("/api/v1/tickets", Some(&token), &body).await;
        assert_eq!((a.status, a.code()), (422, "validation_failed"), "{body}");
        assert_eq!(a.body["details"][0]["field"], field, "{body}");
    }
    let broken = app
        .send(
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{\"kind\":"),
        )
        .await;
    assert_eq!((broken.status, broken.code()), (400, "invalid_json"));
    let as_text = app
        .send(
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(&token)
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    assert_eq!(as_text.status, 415);
    let anonymous = app.get("/api/v1/tickets", None).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        app.get("/api/v1/tickets/not-an-id", Some(&token))
            .await
            .status,
        404
    );
    for q in ["status=done", "department=it", "mine=yes", "limit=0"] {
        let a = app.get(&format!("/api/v1/tickets?{q}"), Some(&token)).await;
        assert_eq!((a.status, a.code()), (422, "validation_failed"), "{q}");
    }

    let created = app
        .post(
            "/api/v1/tickets",
            Some(&token),
            &json!({"customer_id": customer, "kind": "other", "title": "好的工单"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["ticket"]["id"].clone();
    let bad_changes = [
        (
            "department",
            json!({"department": "it", "due_at": due_in(&app, HOUR)}),
            "department",
        ),
        (
            "department",
            json!({"department": "finance", "due_at": "soon"}),
            "due_at",
        ),
        (
            "department",
            json!({"department": "finance", "due_at": due_in(&app, -HOUR)}),
            "due_at",
        ),
        ("department", json!({"department": "finance"}), "body"),
        ("notes", json!({"text": ""}), "text"),
        ("notes", json!({"text": "x", "pin": true}), "body"),
        ("close", json!({"confirmed_with_shopper": "yes"}), "body"),
        ("reopen", json!({}), "body"),
        ("owner", json!({"agent": "x"}), "body"),
    ];
    for (action, body, field) in bad_changes {
        let a = app.post(&path(&id, action), Some(&token), &body).await;
        if action == "owner" {
            // Agents may not hand over at all: the role is checked first.
            assert_eq!(a.status, 403);
            continue;
        }
        assert_eq!(
            (a.status, a.code()),
            (422, "validation_failed"),
            "{action} {body}"
        );
        assert_eq!(a.body["details"][0]["field"], field, "{action} {body}");
    }
    let resolve_open = app
        .post(&path(&id, "resolve"), Some(&token), &json!({}))
        .await;
    assert_eq!(
        (resolve_open.status, resolve_open.code()),
        (409, "ticket_state")
    );
    let detail = app.get(&path(&id, ""), Some(&token)).await;
    assert_eq!(detail.body["ticket"]["status"], "open");
    assert_eq!(
        detail.body["history"].as_array().map(Vec::len),
        Some(1),
        "bad input changes nothing"
    );
    let all = app.get("/api/v1/tickets?status=all", Some(&token)).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(1));
}

both_backends!(
    first_taker_owns_the_ticket_through_its_life,
    supervisors_hand_tickets_over,
    reminders_fire_once_per_due_time,
    other_shops_tickets_are_not_found,
    malformed_ticket_requests_change_nothing,
);
