//! Request extractors whose every rejection is an [`ApiError`], so malformed requests get the
//! same `{code, message}` body as every other error instead of axum's plain-text defaults.

use crate::error::{ApiError, ApiResult, ErrorCode};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::str::FromStr;

/// The raw body, with size-limit and read failures mapped to API errors.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(body_error)
    }
}

fn body_error(e: BytesRejection) -> ApiError {
    let too_large = matches!(&e, BytesRejection::FailedToBufferBody(inner)
        if inner.body_text().contains("length limit"));
    if too_large || e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
    } else {
        ApiError::new(ErrorCode::InvalidJson, "request body could not be read")
    }
}

/// A JSON body parsed into `T`. Rejects non-JSON content types, invalid UTF-8, malformed JSON
/// and JSON of the wrong shape, each with its own code.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        if let Some(ct) = req.headers().get(CONTENT_TYPE) {
            let json = ct
                .to_str()
                .map(|s| {
                    s.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("application/json")
                })
                .unwrap_or(false);
            if !json {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as application/json",
                ));
            }
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON with errors a client can act on.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::new(ErrorCode::InvalidJson, "body is not valid UTF-8"))?;
    serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            ApiError::field("body", e.to_string())
        } else {
            ApiError::new(ErrorCode::InvalidJson, format!("malformed JSON: {e}"))
        }
    })
}

/// A typed id from the URL. An id that cannot exist answers 404, like one that does not.
#[derive(Debug)]
pub struct IdPath<T>(pub T);

impl<T: FromStr + Send, S: Send + Sync> FromRequestParts<S> for IdPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found("resource"))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| ApiError::not_found("resource"))
    }
}
