//! The one error type of the API. Every failure becomes `{"code", "message"}` (plus `details`
//! for validation), with the HTTP status taken from one table, so clients and the UI can
//! translate codes into 中文 or English and never parse messages.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Stable error codes. Adding one is fine; renaming one breaks clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    InvalidCsv,
    ValidationFailed,
    MessageEmpty,
    MessageTooLong,
    MessageInvalid,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unauthorized,
    InvalidCredentials,
    InvalidSignature,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    UpgradeRequired,
    Conflict,
    StaleVersion,
    ConversationClosed,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    Internal,
    Unavailable,
    /// Only a ticket's owner (首问负责人) may do this.
    NotOwner,
    /// The ticket's status does not allow this (closing a closed ticket, resolving an open one).
    TicketState,
    /// The alert's state does not allow this (acknowledging a resolved alert).
    AlertState,
    /// The conversation is still open: it gets its QA score when it closes.
    NotScored,
    /// The conversation's QA score was already appealed; an appeal is allowed once.
    AlreadyAppealed,
    /// The QA appeal was already decided.
    AppealDecided,
}

impl ErrorCode {
    /// The table: code → HTTP status.
    pub const fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            InvalidJson | InvalidCsv | IdempotencyKeyRequired => StatusCode::BAD_REQUEST,
            ValidationFailed | MessageEmpty | MessageTooLong | MessageInvalid
            | IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Unauthorized | InvalidCredentials | InvalidSignature => StatusCode::UNAUTHORIZED,
            Forbidden | NotOwner => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
            Conflict | StaleVersion | ConversationClosed | TicketState | AlertState | NotScored
            | AlreadyAppealed | AppealDecided => StatusCode::CONFLICT,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidJson => "invalid_json",
            InvalidCsv => "invalid_csv",
            ValidationFailed => "validation_failed",
            MessageEmpty => "message_empty",
            MessageTooLong => "message_too_long",
            MessageInvalid => "message_invalid",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            Unauthorized => "unauthorized",
            InvalidCredentials => "invalid_credentials",
            InvalidSignature => "invalid_signature",
            Forbidden => "forbidden",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            UpgradeRequired => "upgrade_required",
            Conflict => "conflict",
            StaleVersion => "stale_version",
            ConversationClosed => "conversation_closed",
            IdempotencyKeyRequired => "idempotency_key_required",
            IdempotencyKeyReused => "idempotency_key_reused",
            Internal => "internal",
            Unavailable => "unavailable",
            NotOwner => "not_owner",
            TicketState => "ticket_state",
            AlertState => "alert_state",
            NotScored => "not_scored",
            AlreadyAppealed => "already_appealed",
            AppealDecided => "appeal_decided",
        }
    }
}

/// One problem with one field of one row, for imports and forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// 1-based row (CSV line after the header, or JSON array index + 1); absent for forms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<FieldError>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "missing, invalid or expired credentials",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "your role may not do this")
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = match details.first() {
            Some(d) => format!(
                "{} problem(s); first: {}: {}",
                details.len(),
                d.field,
                d.message
            ),
            None => "invalid input".to_owned(),
        };
        Self {
            code: ErrorCode::ValidationFailed,
            message,
            details,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            row: None,
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error; it has been logged")
    }
}

impl From<kefu_domain::TextError> for ApiError {
    fn from(e: kefu_domain::TextError) -> Self {
        let code = match e {
            kefu_domain::TextError::Empty => ErrorCode::MessageEmpty,
            kefu_domain::TextError::TooLong { .. } => ErrorCode::MessageTooLong,
            kefu_domain::TextError::ControlCharacter => ErrorCode::MessageInvalid,
        };
        Self::new(code, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => {
                Self::new(ErrorCode::Conflict, format!("{what} already exists"))
            }
            StoreError::Conflict(_) => Self::new(
                ErrorCode::Conflict,
                "the conversation changed at the same time; retry",
            ),
            StoreError::Stale(what) => Self::new(
                ErrorCode::StaleVersion,
                format!("{what} was changed by someone else; reload it and edit again"),
            ),
            StoreError::IdempotencyKeyTaken => Self::new(
                ErrorCode::IdempotencyKeyReused,
                "this idempotency key was already used",
            ),
            StoreError::MissingReference(m) => Self::field("reference", m),
            StoreError::Closed => Self::new(ErrorCode::Unavailable, "shutting down; retry"),
            other => {
                // Logged once here, at the boundary; the client gets no internals.
                tracing::error!(error = %other, "store failure");
                Self::internal()
            }
        }
    }
}

impl From<kefu_domain::TransitionError> for ApiError {
    fn from(e: kefu_domain::TransitionError) -> Self {
        match e {
            kefu_domain::TransitionError::Closed => {
                Self::new(ErrorCode::ConversationClosed, e.to_string())
            }
            _ => Self::new(ErrorCode::Conflict, e.to_string()),
        }
    }
}

impl From<kefu_domain::ticket::TicketError> for ApiError {
    fn from(e: kefu_domain::ticket::TicketError) -> Self {
        use kefu_domain::ticket::TicketError;
        match e {
            TicketError::Invalid { field, message } => Self::field(field, message),
            TicketError::NotOwner(_) => Self::new(ErrorCode::NotOwner, e.to_string()),
            TicketError::Forbidden(_) => Self::new(ErrorCode::Forbidden, e.to_string()),
            TicketError::Transition { .. } => Self::new(ErrorCode::TicketState, e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ErrorBody {
            code: self.code,
            message: self.message,
            details: self.details,
        };
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_client_error_status_except_server_faults() {
        use ErrorCode::*;
        for code in [
            InvalidJson,
            InvalidCsv,
            ValidationFailed,
            MessageEmpty,
            MessageTooLong,
            MessageInvalid,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unauthorized,
            InvalidCredentials,
            InvalidSignature,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            UpgradeRequired,
            Conflict,
            ConversationClosed,
            IdempotencyKeyRequired,
            IdempotencyKeyReused,
            NotOwner,
            TicketState,
            AlertState,
            NotScored,
            AlreadyAppealed,
            AppealDecided,
        ] {
            assert!(code.status().is_client_error(), "{code:?}");
            let json = serde_json::to_value(code).expect("serialises");
            assert_eq!(json, code.as_str());
        }
        assert!(Internal.status().is_server_error());
        assert!(Unavailable.status().is_server_error());
    }
}
