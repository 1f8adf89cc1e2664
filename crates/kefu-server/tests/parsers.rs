//! Property tests: the parsers that read untrusted input never panic, and reject with a client
//! error rather than a server one.

use kefu_domain::{CustomerId, ShopId, Timestamp};
use kefu_server::auth::{VisitorTokens, verify_hmac_hex};
use kefu_server::extract::parse_json;
use kefu_server::routes::auth::LoginRequest;
use kefu_server::routes::webhooks::WebhookMessage;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn json_bodies_of_any_bytes_parse_or_get_a_4xx(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Err(e) = parse_json::<LoginRequest>(&bytes) {
            prop_assert!(e.code.status().is_client_error());
        }
        if let Err(e) = parse_json::<WebhookMessage>(&bytes) {
            prop_assert!(e.code.status().is_client_error());
        }
    }

    #[test]
    fn json_shaped_text_parses_or_gets_a_4xx(text in r#"\{("[a-z_]{0,10}":("[^"\\]{0,20}"|[0-9]{1,5}|null|\[\]|\{\}),?){0,4}\}"#) {
        if let Err(e) = parse_json::<WebhookMessage>(text.as_bytes()) {
            prop_assert!(e.code.status().is_client_error());
        }
    }

    #[test]
    fn visitor_tokens_of_any_text_are_refused_unless_issued(token in "\\PC{0,120}") {
        let tokens = VisitorTokens::new(b"k".repeat(32));
        prop_assert_eq!(tokens.verify(&token, Timestamp::from_millis(0)), None);
    }

    #[test]
    fn an_issued_token_verifies_only_until_it_expires(expires in 1i64..4_000_000_000_000, now in 0i64..4_000_000_000_000) {
        let tokens = VisitorTokens::new(b"k".repeat(32));
        let (shop, customer) = (ShopId::new(), CustomerId::new());
        let t = tokens.issue(shop, customer, Timestamp::from_millis(expires));
        let verified = tokens.verify(&t, Timestamp::from_millis(now));
        prop_assert_eq!(verified.is_some(), now < expires);
    }

    #[test]
    fn signatures_of_any_text_never_panic(sig in "\\PC{0,80}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = verify_hmac_hex(b"secret", &body, &sig);
    }

    #[test]
    fn times_of_any_text_parse_or_are_refused(text in "\\PC{0,40}") {
        if let Some(t) = Timestamp::parse_flexible(&text) {
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        }
    }
}
