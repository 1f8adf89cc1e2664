//! Who is calling. Agents log in with a password (argon2id hashes) and get an opaque bearer
//! token of which only a SHA-256 hash is stored. Shoppers get a signed visitor token bound to
//! one customer of one shop; every widget query uses the customer id from the token, never an
//! id from the request, so a shopper can read and write only their own conversations.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use kefu_domain::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored hash; any malformed hash simply fails.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the username does not exist, so that a wrong username costs
/// the same time as a wrong password and does not reveal which agents exist.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("kefu-decoy-password").unwrap_or_default())
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac
}

pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    hex::encode(hmac(key, data).finalize().into_bytes())
}

/// Constant-time check of a hex HMAC-SHA256 signature.
pub fn verify_hmac_hex(key: &[u8], data: &[u8], signature_hex: &str) -> bool {
    hex::decode(signature_hex.trim())
        .map(|sig| hmac(key, data).verify_slice(&sig).is_ok())
        .unwrap_or(false)
}

/// Issues and checks visitor tokens: `v1.<shop>.<customer>.<expires_ms>.<signature>`.
#[derive(Clone)]
pub struct VisitorTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for VisitorTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorTokens(<redacted>)")
    }
}

impl VisitorTokens {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    pub fn issue(&self, shop: ShopId, customer: CustomerId, expires: Timestamp) -> String {
        let body = format!("v1.{shop}.{customer}.{}", expires.as_millis());
        let sig = URL_SAFE_NO_PAD.encode(hmac(&self.key, body.as_bytes()).finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// The shop and customer of a valid, unexpired token.
    pub fn verify(&self, token: &str, now: Timestamp) -> Option<(ShopId, CustomerId)> {
        let (body, sig) = token.rsplit_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        hmac(&self.key, body.as_bytes()).verify_slice(&sig).ok()?;
        let mut parts = body.split('.');
        let (Some("v1"), Some(shop), Some(customer), Some(expires), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let expires = Timestamp::from_millis(expires.parse().ok()?);
        (now < expires).then_some((shop.parse().ok()?, customer.parse().ok()?))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A logged-in agent, from `Authorization: Bearer <session token>`.
#[derive(Debug, Clone)]
pub struct AgentSession {
    pub agent: Agent,
    pub token_hash: String,
}

impl AgentSession {
    pub fn shop(&self) -> ShopId {
        self.agent.shop
    }

    pub fn require(&self, allowed: fn(Role) -> bool) -> ApiResult<()> {
        if allowed(self.agent.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// Resolves an agent session token (also used by the live socket, which passes it in the URL).
pub async fn agent_from_token(state: &AppState, token: &str) -> ApiResult<AgentSession> {
    let token_hash = sha256_hex(token.as_bytes());
    let session = state
        .store
        .session(&token_hash)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if session.expires_at <= state.clock.now() {
        return Err(ApiError::unauthorized());
    }
    let agent = state
        .store
        .agent(session.shop, session.agent)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(AgentSession { agent, token_hash })
}

impl FromRequestParts<AppState> for AgentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        agent_from_token(state, token).await
    }
}

/// A shopper, from `Authorization: Bearer <visitor token>`.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub shop: ShopId,
    pub customer: CustomerId,
}

pub fn visitor_from_token(state: &AppState, token: &str) -> ApiResult<Visitor> {
    let (shop, customer) = state
        .visitor_tokens
        .verify(token, state.clock.now())
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Visitor { shop, customer })
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        visitor_from_token(state, token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("kefu-demo").expect("hash");
        assert!(verify_password("kefu-demo", &hash));
        assert!(!verify_password("kefu-dem0", &hash));
        assert!(!verify_password("kefu-demo", "not a hash"));
    }

    #[test]
    fn visitor_tokens_bind_shop_customer_and_expiry() {
        let tokens = VisitorTokens::new(b"k".repeat(32));
        let (shop, customer) = (ShopId::new(), CustomerId::new());
        let t = tokens.issue(shop, customer, Timestamp::from_millis(1_000));
        assert_eq!(
            tokens.verify(&t, Timestamp::from_millis(999)),
            Some((shop, customer))
        );
        assert_eq!(
            tokens.verify(&t, Timestamp::from_millis(1_000)),
            None,
            "expired"
        );
        let other = CustomerId::new();
        let forged = t.replace(&customer.to_string(), &other.to_string());
        assert_eq!(tokens.verify(&forged, Timestamp::from_millis(1)), None);
        assert_eq!(
            VisitorTokens::new(b"x".repeat(32)).verify(&t, Timestamp::from_millis(1)),
            None
        );
        assert_eq!(tokens.verify("v1.garbage", Timestamp::from_millis(1)), None);
    }

    #[test]
    fn hmac_signatures_check_in_constant_time_and_reject_garbage() {
        let sig = hmac_hex(b"secret", b"{\"a\":1}");
        assert!(verify_hmac_hex(b"secret", b"{\"a\":1}", &sig));
        assert!(!verify_hmac_hex(b"secret", b"{\"a\":2}", &sig));
        assert!(!verify_hmac_hex(b"secret", b"{\"a\":1}", "zz"));
    }
}
