//! [`ApiError`]: an error answer with its JSON body ([`ErrorBody`]), as every handler returns it,
//! and the message of a 404.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::store::StoreError;
use crate::api::ErrorBody;
use crate::domain::EntityKind;

/// An error answer with a JSON body.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: ErrorBody { error: error.to_string(), message: message.into() } }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }
    pub fn not_found(kind: EntityKind, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", not_found_message(kind, id))
    }
    pub fn not_found_message(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid `Authorization: Bearer TOKEN` header is required")
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "storage failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server could not reach its storage")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The message of a 404 about one entity: its kind and (at most 80 characters of) its id.
pub(super) fn not_found_message(kind: EntityKind, id: &str) -> String {
    let shown: String = id.chars().take(80).collect();
    format!("no {} `{shown}`", kind.label())
}
