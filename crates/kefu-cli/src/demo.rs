//! `kefu demo`: make sure the demo shop exists, print how to use it, and serve.

use crate::runtime;
use anyhow::{Context, Result};
use kefu_domain::conversation::fold_new;
use kefu_domain::{Clock, ConversationId, Envelope, SystemClock, Timestamp};
use kefu_server::Settings;
use kefu_server::auth::{hash_password, hmac_hex, random_token};
use kefu_store::{AppendBatch, ShopRecord, SqlStore, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Seed of the generated shop; the same seed gives the same shop.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The moment the demo's 90 days of history end (RFC 3339); default: now.
    #[arg(long)]
    anchor: Option<String>,
    /// Only create the demo shop and print how to use it; do not serve.
    #[arg(long)]
    no_serve: bool,
    /// Also write the demo's URLs, logins and secrets as JSON to this file (for scripts).
    #[arg(long)]
    info_file: Option<PathBuf>,
}

/// What a person or a script needs to use the demo.
#[derive(Debug, Serialize)]
struct DemoInfo {
    base_url: String,
    shop: String,
    shop_name: String,
    password: String,
    agents: Vec<DemoLogin>,
    widget_path: String,
    widget_customer: String,
    anonymous_widget_path: String,
    webhook_url: String,
    webhook_secret: String,
}

#[derive(Debug, Serialize)]
struct DemoLogin {
    username: String,
    display_name: String,
    role: String,
    tier: String,
}

pub async fn run(settings: &Settings, args: DemoArgs) -> Result<()> {
    let store = runtime::connect(settings).await?;
    let anchor = match &args.anchor {
        Some(s) => Timestamp::parse_rfc3339(s).context("--anchor must be RFC 3339")?,
        None => SystemClock.now(),
    };
    let record = ensure_demo_shop(&store, args.seed, anchor).await?;
    let mut agents = store.list_agents(record.shop.id).await?;
    agents.sort_by_key(|a| (a.tier, a.role, a.username.clone()));
    let showcase = kefu_demo::generate(args.seed, anchor)
        .customers
        .first()
        .map(|c| (c.external_id.clone(), c.nickname.clone()))
        .context("the demo shop has customers")?;
    let make_info = move |base: &str| DemoInfo {
        base_url: base.to_owned(),
        shop: record.shop.slug.clone(),
        shop_name: record.shop.name.clone(),
        password: kefu_demo::DEMO_PASSWORD.to_owned(),
        agents: agents
            .iter()
            .map(|a| DemoLogin {
                username: a.username.clone(),
                display_name: a.display_name.clone(),
                role: a.role.to_string(),
                tier: a.tier.to_string(),
            })
            .collect(),
        widget_path: format!(
            "/widget?shop={}&user_id={}&user_hash={}",
            record.shop.slug,
            showcase.0,
            hmac_hex(record.widget_secret.as_bytes(), showcase.0.as_bytes())
        ),
        widget_customer: format!("{} ({})", showcase.1, showcase.0),
        anonymous_widget_path: format!("/widget?shop={}", record.shop.slug),
        webhook_url: format!("{base}/api/v1/webhooks/{}/messages", record.shop.slug),
        webhook_secret: record.webhook_secret.clone(),
    };
    let info_file = args.info_file.clone();
    let announce = move |base: &str| {
        let info = make_info(base);
        print_banner(&info);
        if let Some(path) = &info_file
            && let Err(e) = std::fs::write(
                path,
                serde_json::to_string_pretty(&info).unwrap_or_default(),
            )
        {
            eprintln!("could not write {}: {e}", path.display());
        }
    };
    if args.no_serve {
        announce(&format!(
            "http://{}:{}",
            settings.server.host, settings.server.port
        ));
        return Ok(());
    }
    runtime::serve_with(settings, Arc::new(store), Some(Box::new(announce))).await
}

/// Creates the demo shop unless a shop with its slug exists; returns the stored record.
async fn ensure_demo_shop(store: &SqlStore, seed: u64, anchor: Timestamp) -> Result<ShopRecord> {
    if let Some(existing) = store.shop_by_slug(kefu_demo::DEMO_SHOP_SLUG).await? {
        println!("using the existing demo shop in the database");
        return Ok(existing);
    }
    let started = std::time::Instant::now();
    let demo = kefu_demo::generate(seed, anchor);
    let shop_id = demo.shop.id;
    let record = ShopRecord {
        shop: demo.shop.clone(),
        webhook_secret: random_token(),
        widget_secret: random_token(),
    };
    store.create_shop(&record).await?;
    for a in &demo.agents {
        let password = a.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await?
            .map_err(|e| anyhow::anyhow!("hashing a demo password: {e}"))?;
        store.upsert_agent(&a.agent, &hash).await?;
    }
    store.upsert_products(shop_id, &demo.products).await?;
    store.upsert_customers(shop_id, &demo.customers).await?;
    store.upsert_orders(shop_id, &demo.orders).await?;
    store.import_knowledge(shop_id, &demo.knowledge).await?;
    append_history(store, shop_id, &demo.events).await?;
    let counts = store.counts(shop_id).await?;
    println!(
        "created the demo shop {} in {:.1} s: {} products, {} customers, {} orders, {} knowledge-base entries, {} past conversations ({} messages), {} agents",
        demo.shop.name,
        started.elapsed().as_secs_f64(),
        counts.products,
        counts.customers,
        counts.orders,
        demo.knowledge.len(),
        counts.conversations,
        counts.messages,
        counts.agents
    );
    Ok(record)
}

/// Appends each past conversation's events as one batch, all at once so the writer groups them.
async fn append_history(
    store: &SqlStore,
    shop: kefu_domain::ShopId,
    events: &[Envelope],
) -> Result<()> {
    let mut by_conversation: HashMap<ConversationId, Vec<Envelope>> = HashMap::new();
    let mut order = Vec::new();
    for e in events {
        let id = e.event.conversation();
        let list = by_conversation.entry(id).or_default();
        if list.is_empty() {
            order.push(id);
        }
        list.push(e.clone());
    }
    let mut pending = Vec::with_capacity(order.len());
    for id in order {
        let events = by_conversation.remove(&id).unwrap_or_default();
        let conversation = fold_new(None, &events)
            .map_err(|e| anyhow::anyhow!("demo conversation {id} is invalid: {e}"))?;
        pending.push(store.append(AppendBatch {
            shop,
            events,
            conversation,
            expected_version: None,
            idempotency: None,
            analyses: Vec::new(),
        }));
    }
    for result in futures::future::join_all(pending).await {
        result?;
    }
    Ok(())
}

fn print_banner(info: &DemoInfo) {
    let base = &info.base_url;
    println!();
    println!("  kefu 客服 — demo shop {} is ready", info.shop_name);
    println!();
    println!("  Agent workspace   {base}/");
    println!(
        "    shop: {}   password (all agents): {}",
        info.shop, info.password
    );
    for a in &info.agents {
        println!(
            "    {:<12} {} ({}, {})",
            a.username, a.display_name, a.role, a.tier
        );
    }
    println!();
    println!("  Shopper widget    {base}{}", info.widget_path);
    println!("    as {}, who has recent orders", info.widget_customer);
    println!("  Anonymous widget  {base}{}", info.anonymous_widget_path);
    println!();
    println!("  Platform webhook  POST {}", info.webhook_url);
    println!("    X-Kefu-Signature: sha256=<HMAC-SHA256 of the body>, Idempotency-Key: <unique>");
    println!("    secret: {}", info.webhook_secret);
    println!("  API description   {base}/api/v1/openapi.json");
    println!();
    println!("  Ctrl-C stops the server; the data stays in the database for the next run.");
    println!();
}
