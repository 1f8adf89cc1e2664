//! Turning settings into a running server: store, bus, clock, keys.

use anyhow::{Context, Result};
use kefu_bus::InProcessBus;
use kefu_domain::SystemClock;
use kefu_server::{AppState, Limits, Settings};
use kefu_store::{SqlStore, Store};
use std::path::Path;
use std::sync::Arc;

pub fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEFU_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.log.filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

/// Connects to the configured database (creating the SQLite file's folder) and migrates it.
pub async fn connect(settings: &Settings) -> Result<SqlStore> {
    if let Some(path) = sqlite_path(&settings.database.url)
        && let Some(dir) = Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    SqlStore::connect(&settings.store_config())
        .await
        .with_context(|| {
            format!(
                "opening the database {}",
                redact_url(&settings.database.url)
            )
        })
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

/// The key that signs visitor tokens: configured, or generated once and kept on disk so that
/// shoppers' sessions survive a restart.
fn visitor_key(settings: &Settings) -> Result<Vec<u8>> {
    if !settings.auth.token_secret.is_empty() {
        return Ok(settings.auth.token_secret.as_bytes().to_vec());
    }
    let path = &settings.auth.key_file;
    if let Ok(existing) = std::fs::read_to_string(path) {
        let key = existing.trim();
        if key.len() >= 32 {
            return Ok(key.as_bytes().to_vec());
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let key = hex::encode(bytes);
    write_private(path, &key).with_context(|| format!("writing {}", path.display()))?;
    Ok(key.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

pub fn state(settings: &Settings, store: Arc<dyn Store>) -> Result<AppState> {
    let limits = Limits {
        max_body_bytes: settings.server.max_body_bytes,
        max_import_bytes: settings.server.max_import_bytes,
        session_ttl_ms: i64::from(settings.auth.session_ttl_hours) * 3_600_000,
        visitor_ttl_ms: i64::from(settings.auth.visitor_ttl_days) * 86_400_000,
    };
    Ok(AppState::new(
        store,
        Arc::new(InProcessBus::new()),
        Arc::new(SystemClock),
        visitor_key(settings)?,
        limits,
    )
    .with_phraser(kefu_server::llm::Phraser::from_settings(&settings.llm))
    .with_webhook_hosts(settings.alerts.webhook_hosts.clone()))
}

/// Prints how to reach the server, once its port is bound.
pub type Banner = Box<dyn FnOnce(&str) + Send>;

/// Runs the server until Ctrl-C. `banner` is printed once the port is bound.
pub async fn serve(settings: &Settings, banner: Option<Banner>) -> Result<()> {
    let store: Arc<dyn Store> = Arc::new(connect(settings).await?);
    serve_with(settings, store, banner).await
}

pub async fn serve_with(
    settings: &Settings,
    store: Arc<dyn Store>,
    banner: Option<Banner>,
) -> Result<()> {
    let state = state(settings, store)?;
    // Every shop's knowledge index is built in the background from the store, so the server
    // answers at once; a shop asked about before its turn is built on that first request.
    // Every shop's desk (queues, SLA clocks, presence) is rebuilt from the store before the
    // timers run, so clocks that came due while the server was down fire now, once.
    let desks = state.clone();
    tokio::spawn(async move {
        kefu_server::desk::warm(&desks).await;
        kefu_server::desk::run_timers(desks).await;
    });
    let warming = state.clone();
    tokio::spawn(async move {
        warming
            .knowledge
            .warm(&*warming.store, warming.clock.now())
            .await;
        // Then, for as long as the server runs: each shop's proposed entries, weekly.
        kefu_server::lifecycle::run_weekly(warming).await;
    });
    // Tickets due within the hour or overdue are reminded once, checked every minute.
    tokio::spawn(kefu_server::tickets::run_reminders(state.clone()));
    let addr = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr} (set KEFU__SERVER__PORT to use another port)"))?;
    let local = listener.local_addr()?;
    let base = format!("http://{local}");
    if !kefu_server::routes::web::ui_embedded() {
        tracing::warn!("the web UI is not built into this binary; the API works, pages do not");
    }
    match banner {
        Some(print) => print(&base),
        None => println!("kefu listening on {base}"),
    }
    kefu_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await?;
    Ok(())
}

pub async fn rebuild(settings: &Settings) -> Result<()> {
    let store = connect(settings).await?;
    for shop in store.list_shops().await? {
        let n = store.rebuild_projections(shop.id).await?;
        println!(
            "{}: {n} conversations rebuilt from the event log",
            shop.slug
        );
    }
    Ok(())
}

/// Scores closed conversations without a QA score (all of them with `rescore`), every shop.
pub async fn qa_backfill(settings: &Settings, rescore: bool) -> Result<()> {
    let store = connect(settings).await?;
    let now = kefu_domain::Clock::now(&SystemClock);
    for shop in store.list_shops().await? {
        let done = kefu_server::qa::backfill(&store, shop.id, rescore, now).await?;
        println!(
            "{}: {} conversations scored, {} already scored",
            shop.slug, done.scored, done.kept
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_and_redaction() {
        assert_eq!(
            sqlite_path("sqlite://data/kefu.db?mode=rwc").as_deref(),
            Some("data/kefu.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://…@h:5432/db"
        );
    }
}
