//! Layered configuration: built-in defaults → an optional TOML file → `KEFU__SECTION__KEY`
//! environment variables, into one typed struct. Secrets are redacted in `Debug`.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub llm: LlmSettings,
    pub alerts: AlertsSettings,
}

/// Supervisor alerts on this server.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertsSettings {
    /// The hosts the shops' DingTalk and WeCom robots may post to; `*` allows any (a trusted
    /// single-shop install with its own gateway).
    pub webhook_hosts: Vec<String>,
}

/// The optional answer-phrasing model (see `llm.rs`).
#[derive(Clone, Deserialize)]
pub struct LlmSettings {
    pub enabled: bool,
    /// Up to and including the version, e.g. `http://127.0.0.1:8000/v1`.
    pub base_url: String,
    pub model: String,
    #[serde(default)]
    pub api_key: String,
    /// Past this the plain answer is sent.
    pub timeout_ms: u64,
}

impl fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmSettings")
            .field("enabled", &self.enabled)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field(
                "api_key",
                &if self.api_key.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest import (CSV or JSON) body, in bytes.
    pub max_import_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://data/kefu.db?mode=rwc` (embedded) or `postgres://…` (cluster).
    pub url: String,
    /// PostgreSQL schema; empty means the connection's default.
    #[serde(default)]
    pub schema: String,
    pub max_connections: u32,
}

#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    /// Key that signs visitor tokens. Empty: a random key is generated and kept in `key_file`.
    #[serde(default)]
    pub token_secret: String,
    /// Where a generated key is kept so visitor tokens survive restarts.
    pub key_file: PathBuf,
    pub session_ttl_hours: u32,
    pub visitor_ttl_days: u32,
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field(
                "token_secret",
                &if self.token_secret.is_empty() {
                    "<generated>"
                } else {
                    "<redacted>"
                },
            )
            .field("key_file", &self.key_file)
            .field("session_ttl_hours", &self.session_ttl_hours)
            .field("visitor_ttl_days", &self.visitor_ttl_days)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// A `tracing` filter such as `info,kefu_server=debug`.
    pub filter: String,
}

/// The defaults, as a TOML document (also shipped as `config/default.toml`).
pub const DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Loads defaults, then `file` (if given), then `KEFU__…` variables from the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_from(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment passed in (tests use this).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.exists() {
                return Err(SettingsError(format!("{} does not exist", path.display())));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let env: std::collections::HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("KEFU__"))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("KEFU")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(env)),
        );
        let settings: Settings = builder
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if kefu_store::Backend::from_url(&self.database.url).is_none() {
            return Err(SettingsError(format!(
                "database.url must start with sqlite: or postgres:, got {:?}",
                self.database.url
            )));
        }
        if self.server.max_body_bytes < 4_096 {
            return Err(SettingsError("server.max_body_bytes must be ≥ 4096".into()));
        }
        if self.auth.session_ttl_hours == 0 || self.auth.visitor_ttl_days == 0 {
            return Err(SettingsError("auth TTLs must be positive".into()));
        }
        if !self.auth.token_secret.is_empty() && self.auth.token_secret.len() < 32 {
            return Err(SettingsError(
                "auth.token_secret must be at least 32 characters".into(),
            ));
        }
        if self.llm.enabled {
            if !self.llm.base_url.starts_with("http://") {
                return Err(SettingsError(format!(
                    "llm.base_url must be a plain http:// URL (a local model server or gateway), got {:?}",
                    self.llm.base_url
                )));
            }
            if self.llm.model.trim().is_empty() || !(100..=30_000).contains(&self.llm.timeout_ms) {
                return Err(SettingsError(
                    "llm.model must be set and llm.timeout_ms be between 100 and 30000".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn store_config(&self) -> kefu_store::StoreConfig {
        let mut c = kefu_store::StoreConfig::new(self.database.url.clone());
        c.max_connections = self.database.max_connections;
        c.schema = (!self.database.schema.is_empty()).then(|| self.database.schema.clone());
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_embedded_sqlite_on_8080() {
        let s = Settings::load_from(None, env(&[])).expect("defaults load");
        assert!(s.database.url.starts_with("sqlite:"));
        assert_eq!(s.server.port, 8080);
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("kefu-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("kefu.toml");
        std::fs::write(&file, "[server]\nport = 9000\nhost = \"0.0.0.0\"\n").expect("write");
        let s = Settings::load_from(Some(&file), env(&[("KEFU__SERVER__PORT", "9100")]))
            .expect("loads");
        assert_eq!((s.server.host.as_str(), s.server.port), ("0.0.0.0", 9100));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_values_are_reported() {
        let err = Settings::load_from(None, env(&[("KEFU__DATABASE__URL", "mysql://x")]))
            .expect_err("mysql is not supported");
        assert!(err.to_string().contains("database.url"));
        assert!(Settings::load_from(Some(Path::new("/nonexistent.toml")), env(&[])).is_err());
        assert!(Settings::load_from(None, env(&[("KEFU__AUTH__TOKEN_SECRET", "short")])).is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Settings::load_from(
            None,
            env(&[(
                "KEFU__AUTH__TOKEN_SECRET",
                "0123456789abcdef0123456789abcdef-secret",
            )]),
        )
        .expect("loads");
        assert!(!format!("{s:?}").contains("secret\""));
        assert!(!format!("{s:?}").contains("0123456789abcdef"));
    }
}
