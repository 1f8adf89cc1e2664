//! `kefu bench ingest`: shopper messages per second through the real HTTP webhook path,
//! acknowledged only after they are durable, and the time until a subscribed agent socket has
//! them. Everything runs in this process over loopback against a fresh database.

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use kefu_bus::InProcessBus;
use kefu_domain::*;
use kefu_server::auth::{hash_password, hmac_hex, random_token, sha256_hex};
use kefu_server::{AppState, Limits};
use kefu_store::{Session, ShopRecord, SqlStore, Store, StoreConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// Shopper messages in through the webhook, out to an agent's live socket.
    Ingest(IngestArgs),
    /// The text engine's full analysis per message, against Python jieba + SnowNLP.
    Text(crate::bench_text::TextArgs),
    /// The bot's decision per question over a large knowledge base, against Python
    /// rank_bm25 + jieba.
    Bot(crate::bench_bot::BotArgs),
    /// One routing decision with 500 agents and 5,000 conversations waiting.
    Route(crate::bench_route::RouteArgs),
    /// A simulated shop day through routing and the SLA clocks: its KPIs and invariants.
    ShopDay(crate::bench_route::DayArgs),
    /// The live lint of one agent message (the reply box's check and the send's).
    Qa(crate::bench_qa::QaArgs),
}

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// sqlite (a fresh file in a temporary folder) or postgres (a fresh schema).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Messages sent as fast as possible in the throughput phase.
    #[arg(long, default_value_t = 20_000)]
    messages: usize,
    /// Requests in flight at once in the throughput phase.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Distinct shoppers the messages come from.
    #[arg(long, default_value_t = 2_000)]
    shoppers: usize,
    /// Messages per second in the latency phase (sent on a fixed schedule, open loop).
    #[arg(long, default_value_t = 1_000)]
    rate: u32,
    /// Length of the latency phase, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
}

pub async fn run(which: Bench) -> Result<()> {
    match which {
        Bench::Ingest(args) => ingest(args).await,
        Bench::Text(args) => crate::bench_text::text(args),
        Bench::Bot(args) => crate::bench_bot::bot(args),
        Bench::Route(args) => crate::bench_route::route(args),
        Bench::ShopDay(args) => crate::bench_route::shop_day(args),
        Bench::Qa(args) => crate::bench_qa::qa(args),
    }
}

/// Receipt times at the agent socket, indexed by message number.
type Receipts = Arc<Mutex<Vec<Option<Instant>>>>;

struct Rig {
    base: String,
    shop: ShopRecord,
    client: reqwest::Client,
    receipts: Receipts,
    received: Arc<AtomicUsize>,
    _dir: Option<tempfile::TempDir>,
    cleanup: Option<(String, String)>,
}

async fn ingest(args: IngestArgs) -> Result<()> {
    let total = args.messages + (args.rate as usize) * (args.seconds as usize);
    let rig = start(&args, total).await?;
    println!(
        "kefu bench ingest — backend {}, {} cores, webhook → store (durable) → agent WebSocket",
        args.backend,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // Phase 1: as fast as the server acknowledges, with `concurrency` requests in flight.
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (next, client, base, shop) = (
            next.clone(),
            rig.client.clone(),
            rig.base.clone(),
            rig.shop.clone(),
        );
        let (n_max, shoppers) = (args.messages, args.shoppers);
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= n_max {
                    break Ok::<_, anyhow::Error>(());
                }
                send(&client, &base, &shop, n, shoppers).await?;
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    let acked = started.elapsed();
    wait_for(&rig.received, args.messages, Duration::from_secs(60)).await?;
    let delivered = started.elapsed();
    println!(
        "throughput: {} messages, {} in flight: {:.0} msg/s acknowledged durable, {:.0} msg/s delivered to the agent socket",
        args.messages,
        args.concurrency,
        args.messages as f64 / acked.as_secs_f64(),
        args.messages as f64 / delivered.as_secs_f64()
    );

    // Phase 2: a fixed rate, each message sent at its scheduled time whatever the server does.
    let first = args.messages;
    let count = (args.rate as usize) * (args.seconds as usize);
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let sent_at: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; count]));
    let start_at = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let due = start_at + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (client, base, shop, sent_at) = (
            rig.client.clone(),
            rig.base.clone(),
            rig.shop.clone(),
            sent_at.clone(),
        );
        let shoppers = args.shoppers;
        tasks.push(tokio::spawn(async move {
            sent_at.lock().await[i] = Some(Instant::now());
            send(&client, &base, &shop, first + i, shoppers).await
        }));
    }
    for t in tasks {
        t.await??;
    }
    wait_for(&rig.received, total, Duration::from_secs(60)).await?;
    let sent = sent_at.lock().await.clone();
    let lat = latencies(&rig.receipts, first..first + count, &sent).await;
    println!(
        "latency at {} msg/s for {} s ({} messages): send → agent socket p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.rate,
        args.seconds,
        count,
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    println!(
        "{}",
        serde_json::json!({
            "backend": args.backend,
            "throughput_messages": args.messages,
            "concurrency": args.concurrency,
            "acked_per_s": (args.messages as f64 / acked.as_secs_f64()).round(),
            "delivered_per_s": (args.messages as f64 / delivered.as_secs_f64()).round(),
            "rate": args.rate,
            "p50_ms": pct(&lat, 0.50),
            "p99_ms": pct(&lat, 0.99),
        })
    );
    finish(rig).await;
    Ok(())
}

async fn start(args: &IngestArgs, total: usize) -> Result<Rig> {
    let (config, dir, cleanup) = match args.backend.as_str() {
        "sqlite" => {
            let dir = tempfile::tempdir()?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            (StoreConfig::new(url), Some(dir), None)
        }
        "postgres" => {
            let schema = format!("kefu_bench_{}", uuid::Uuid::new_v4().simple());
            let mut c = StoreConfig::new(args.postgres_url.clone());
            c.schema = Some(schema.clone());
            c.max_connections = 16;
            (c, None, Some((args.postgres_url.clone(), schema)))
        }
        other => bail!("--backend must be sqlite or postgres, not {other}"),
    };
    let store = SqlStore::connect(&config)
        .await
        .context("opening the bench database")?;
    let now = SystemClock.now();
    let shop = ShopRecord {
        shop: Shop {
            id: ShopId::new(),
            slug: "bench".into(),
            name: "压测店".into(),
            created_at: now,
        },
        webhook_secret: random_token(),
        widget_secret: random_token(),
    };
    store.create_shop(&shop).await?;
    let agent = Agent {
        id: AgentId::new(),
        shop: shop.shop.id,
        username: "bench".into(),
        display_name: "压测客服".into(),
        role: Role::Agent,
        tier: Tier::Standard,
        skill_groups: vec![],
        max_concurrent: 10,
        created_at: now,
    };
    store
        .upsert_agent(
            &agent,
            &hash_password("bench").map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    let token = random_token();
    store
        .create_session(&Session {
            token_hash: sha256_hex(token.as_bytes()),
            shop: shop.shop.id,
            agent: agent.id,
            created_at: now,
            expires_at: now.plus_millis(3_600_000),
        })
        .await?;
    let state = AppState::new(
        Arc::new(store),
        Arc::new(InProcessBus::new()),
        Arc::new(SystemClock),
        random_token(),
        Limits::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(kefu_server::serve(listener, state, std::future::pending()));
    let base = format!("http://{addr}");

    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/live?token={token}"))
            .await
            .context("connecting the agent socket")?;
    match socket.next().await {
        Some(Ok(m)) if m.to_text().is_ok_and(|t| t.contains("hello")) => {}
        other => bail!("expected hello on the agent socket, got {other:?}"),
    }
    let receipts: Receipts = Arc::new(Mutex::new(vec![None; total]));
    let received = Arc::new(AtomicUsize::new(0));
    let (r, c) = (receipts.clone(), received.clone());
    tokio::spawn(async move {
        while let Some(Ok(msg)) = socket.next().await {
            let Ok(text) = msg.to_text() else { continue };
            if let Some(n) = bench_number(text) {
                let at = Instant::now();
                if let Some(slot) = r.lock().await.get_mut(n)
                    && slot.is_none()
                {
                    *slot = Some(at);
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let _ = socket.close(None).await;
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    Ok(Rig {
        base,
        shop,
        client,
        receipts,
        received,
        _dir: dir,
        cleanup,
    })
}

/// The message number in a `message.created` frame's text ("#123 …").
fn bench_number(frame: &str) -> Option<usize> {
    if !frame.starts_with("{\"type\":\"message.created\"") {
        return None;
    }
    let at = frame.find("\"text\":\"#")? + 9;
    let digits: String = frame[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    shop: &ShopRecord,
    n: usize,
    shoppers: usize,
) -> Result<()> {
    let body = serde_json::json!({
        "platform": "taobao",
        "customer": { "external_id": format!("bench-{}", n % shoppers.max(1)) },
        "text": format!("#{n} 你好，纸尿裤什么时候发货？"),
    })
    .to_string();
    let signature = hmac_hex(shop.webhook_secret.as_bytes(), body.as_bytes());
    let response = client
        .post(format!(
            "{base}/api/v1/webhooks/{}/messages",
            shop.shop.slug
        ))
        .header("content-type", "application/json")
        .header("x-kefu-signature", format!("sha256={signature}"))
        .header("idempotency-key", format!("bench-{n}"))
        .body(body)
        .send()
        .await?;
    if response.status().as_u16() != 202 {
        bail!(
            "message {n}: HTTP {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

async fn wait_for(received: &AtomicUsize, n: usize, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while received.load(Ordering::Relaxed) < n {
        if Instant::now() > deadline {
            bail!(
                "only {} of {n} messages reached the agent socket",
                received.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Sorted latencies in ms of messages `range`, from `sent` (when given) to receipt.
async fn latencies(
    receipts: &Receipts,
    range: std::ops::Range<usize>,
    sent: &[Option<Instant>],
) -> Vec<f64> {
    let receipts = receipts.lock().await;
    let mut out: Vec<f64> = range
        .enumerate()
        .filter_map(|(i, n)| {
            let got = receipts.get(n).copied().flatten()?;
            let from = sent.get(i).copied().flatten()?;
            Some(got.saturating_duration_since(from).as_secs_f64() * 1_000.0)
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// The `p` quantile of sorted values, to two decimals (0 when empty).
pub(crate) fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i.min(sorted.len() - 1)] * 100.0).round() / 100.0
}

async fn finish(rig: Rig) {
    if let Some((url, schema)) = rig.cleanup
        && let Err(e) = kefu_store::drop_postgres_schema(&url, &schema).await
    {
        eprintln!("could not drop the bench schema {schema}: {e}");
    }
}
