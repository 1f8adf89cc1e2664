//! The live lint in the server: one [`Linter`] per process, and each shop's service policy
//! (the `policy` settings section) that promises are checked against. The workspace calls the
//! lint as the agent types (`POST /api/v1/lint`); the write path runs it again on every agent
//! message and keeps the findings with the message's analysis.

use crate::hot::TtlCache;
use kefu_domain::{Finding, ShopId, ShopPolicy, Timestamp};
use kefu_engine::qa::lint::{LintContext, Linter};
use kefu_store::{Store, StoreResult};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The settings section the shop's service policy is stored under.
pub const POLICY_SETTINGS: &str = "policy";

/// A shop's policy is reread at least this often, so a change on another node arrives; a
/// change on this node replaces it at once.
const POLICY_TTL: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct LintService {
    linter: Linter,
    policies: TtlCache<ShopId, ShopPolicy>,
}

impl LintService {
    /// The process-wide service. The bundled lexicons are tested at build time, so failing to
    /// load them is a broken build, not bad input.
    pub fn shared() -> Arc<LintService> {
        static SERVICE: OnceLock<Arc<LintService>> = OnceLock::new();
        SERVICE
            .get_or_init(|| {
                #[allow(clippy::expect_used)]
                let linter = Linter::bundled().expect("the bundled lexicons are valid");
                Arc::new(LintService {
                    linter,
                    policies: TtlCache::new(POLICY_TTL, 10_000),
                })
            })
            .clone()
    }

    /// The shop's policy: as saved, missing fields at their defaults; the defaults when it was
    /// never saved or cannot be read back.
    pub async fn policy(&self, store: &dyn Store, shop: ShopId) -> StoreResult<ShopPolicy> {
        if let Some(hit) = self.policies.get(&shop) {
            return Ok(hit);
        }
        let policy = match store.shop_setting(shop, POLICY_SETTINGS).await? {
            Some(body) => serde_json::from_str(&body).unwrap_or_else(|e| {
                tracing::warn!(%shop, error = %e, "stored policy unreadable; using the defaults");
                ShopPolicy::default()
            }),
            None => ShopPolicy::default(),
        };
        self.policies.put(shop, policy);
        Ok(policy)
    }

    /// Remembers a policy just saved.
    pub fn set_policy(&self, shop: ShopId, policy: ShopPolicy) {
        self.policies.put(shop, policy);
    }

    /// The findings for `text` sent at `at` under `policy`.
    pub fn lint(&self, text: &str, policy: ShopPolicy, at: Timestamp) -> Vec<Finding> {
        self.linter.lint(
            text,
            &LintContext {
                policy,
                now_hour: at.shop_hour(),
            },
        )
    }
}
