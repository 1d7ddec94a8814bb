//! The Ops API v1 model-monitoring endpoints: models with their reference samples, feature windows
//! and quality points. Anyone signed in reads; monitoring pipelines (responder role or above)
//! write, and a write replaces what was stored under the same id, so re-sending is harmless.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{ErrorBody, Me};
use crate::domain::{DriftWindow, Model, QualityPoint};
use crate::server::ServerState;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::Body;

/// Most values a window or a reference sample may hold.
pub const MAX_SAMPLE_VALUES: usize = 100_000;
/// Longest model id, feature name or category accepted.
const MAX_NAME_CHARS: usize = 100;
/// Largest request body of the write endpoints (a full sample of long categories fits).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Only windows starting at or after this moment (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// At most this many, the newest ones, returned oldest first (default 200, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

impl SeriesQuery {
    fn parse(query: Result<Query<SeriesQuery>, QueryRejection>) -> Result<(Option<DateTime<Utc>>, u32), ApiError> {
        let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
        let since = match query.since.as_deref() {
            None => None,
            Some(s) => Some(DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                let shown: String = s.chars().take(40).collect();
                ApiError::invalid(format!(
                    "`since` must be an RFC 3339 time such as 2026-11-05T14:00:00Z, not `{shown}`"
                ))
            })?),
        };
        Ok((since, super::page_limit(query.limit, 200, 1000)?))
    }
}

fn not_found(message: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
}

fn shown(s: &str) -> String {
    s.chars().take(MAX_NAME_CHARS).collect()
}

async fn load_model(state: &ServerState, id: &str) -> Result<Model, ApiError> {
    state.store.model(id).await?.ok_or_else(|| not_found(format!("no model `{}`", shown(id))))
}

fn require_writer(me: &Me) -> Result<(), ApiError> {
    if me.role.can_act() {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "{} has the {} role, which cannot write model monitoring data",
        me.name,
        me.role.label()
    )))
}

/// Why a name cannot be an id or feature name: ids are joined with `/` into window ids.
fn name_problem(what: &str, name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some(format!("{what} is empty"))
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some(format!("{what} is longer than {MAX_NAME_CHARS} characters"))
    } else if name.contains('/') {
        Some(format!("{what} `{name}` contains `/`"))
    } else {
        None
    }
}

/// Why a model cannot be stored under `path_id`.
pub fn model_problem(path_id: &str, model: &Model) -> Option<String> {
    if model.id != path_id {
        return Some(format!("the body's id `{}` is not the path's `{}`", shown(&model.id), shown(path_id)));
    }
    if let Some(problem) = name_problem("the model id", &model.id) {
        return Some(problem);
    }
    if model.name.trim().is_empty() {
        return Some("the model name is empty".into());
    }
    if model.window_secs <= 0 {
        return Some(format!("window_secs must be positive, not {}", model.window_secs));
    }
    if let Some(pair) = model.versions.windows(2).find(|v| v[1].deployed_at < v[0].deployed_at) {
        return Some(format!(
            "versions must be listed in deploy order, but {} was deployed before {}",
            shown(&pair[1].version),
            shown(&pair[0].version)
        ));
    }
    for (i, feature) in model.features.iter().enumerate() {
        if let Some(problem) = name_problem(&format!("feature {i}'s name"), &feature.name) {
            return Some(problem);
        }
        if model.features[..i].iter().any(|f| f.name == feature.name) {
            return Some(format!("feature `{}` is listed twice", feature.name));
        }
        if let Some(problem) = feature.reference.problem() {
            return Some(format!("the reference of `{}`: {problem}", feature.name));
        }
        if feature.reference.len() > MAX_SAMPLE_VALUES {
            return Some(format!("the reference of `{}` has more than {MAX_SAMPLE_VALUES} values", feature.name));
        }
    }
    None
}

#[utoipa::path(get, path = "/v1/models", tag = "models", security(("bearer" = [])),
    responses((status = 200, description = "All models with their versions and reference samples", body = Vec<Model>),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn list_models(State(state): State<ServerState>, _caller: Caller) -> Result<Json<Vec<Model>>, ApiError> {
    Ok(Json(state.store.models().await?))
}

#[utoipa::path(get, path = "/v1/models/{id}", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id, e.g. support-assistant")),
    responses((status = 200, description = "The model", body = Model),
              (status = 404, description = "No such model", body = ErrorBody)))]
pub async fn get_model(
    State(state): State<ServerState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Model>, ApiError> {
    Ok(Json(load_model(&state, &id).await?))
}

#[utoipa::path(put, path = "/v1/models/{id}", tag = "models", security(("bearer" = [])),
    description = "Create or replace a model: its versions (oldest first) and its features with their reference samples.",
    params(("id" = String, Path, description = "Model id; must equal the body's")),
    request_body = Model,
    responses((status = 200, description = "Stored", body = Model),
              (status = 400, description = "Malformed body", body = ErrorBody),
              (status = 403, description = "Viewers cannot write", body = ErrorBody),
              (status = 422, description = "Id mismatch, bad name, empty or non-finite reference, duplicate feature, versions out of order, window_secs ≤ 0", body = ErrorBody)))]
pub async fn put_model(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    body: Body<Model>,
) -> Result<Json<Model>, ApiError> {
    require_writer(&me)?;
    let Body(model) = body;
    if let Some(problem) = model_problem(&id, &model) {
        return Err(ApiError::unprocessable(problem));
    }
    state.store.put_model(&model).await?;
    Ok(Json(model))
}

#[utoipa::path(get, path = "/v1/models/{id}/features/{feature}/windows", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id"),
           ("feature" = String, Path, description = "Feature name, e.g. query_length"),
           SeriesQuery),
    responses((status = 200, description = "Windows of the feature, oldest first", body = Vec<DriftWindow>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 404, description = "No such model or feature", body = ErrorBody)))]
pub async fn list_windows(
    State(state): State<ServerState>,
    _caller: Caller,
    Path((id, feature)): Path<(String, String)>,
    query: Result<Query<SeriesQuery>, QueryRejection>,
) -> Result<Json<Vec<DriftWindow>>, ApiError> {
    let (since, limit) = SeriesQuery::parse(query)?;
    let model = load_model(&state, &id).await?;
    if model.feature(&feature).is_none() {
        return Err(not_found(format!("model `{}` has no feature `{}`", model.id, shown(&feature))));
    }
    Ok(Json(state.store.windows(&model.id, &feature, since, limit).await?))
}

#[utoipa::path(put, path = "/v1/models/{id}/windows", tag = "models", security(("bearer" = [])),
    description = "Create or replace the window of a feature that starts at `start`; an open window is sent again as it fills.",
    params(("id" = String, Path, description = "Model id; must equal the body's model_id")),
    request_body = DriftWindow,
    responses((status = 200, description = "Stored", body = DriftWindow),
              (status = 400, description = "Malformed body", body = ErrorBody),
              (status = 403, description = "Viewers cannot write", body = ErrorBody),
              (status = 404, description = "No such model or feature", body = ErrorBody),
              (status = 422, description = "Model id mismatch, sample kind differs from the reference's, empty or non-finite sample, end not after start, too many values", body = ErrorBody)))]
pub async fn put_window(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    body: Body<DriftWindow>,
) -> Result<Json<DriftWindow>, ApiError> {
    require_writer(&me)?;
    let Body(window) = body;
    let model = load_model(&state, &id).await?;
    if window.model_id != model.id {
        let message = format!("the body's model_id `{}` is not the path's `{}`", shown(&window.model_id), model.id);
        return Err(ApiError::unprocessable(message));
    }
    let Some(feature) = model.feature(&window.feature) else {
        return Err(not_found(format!("model `{}` has no feature `{}`", model.id, shown(&window.feature))));
    };
    let problem = if window.current.kind() != feature.kind() {
        let kind = |k: crate::domain::FeatureKind| format!("{k:?}").to_lowercase();
        Some(format!(
            "`{}` is {} but the window's sample is {}",
            feature.name,
            kind(feature.kind()),
            kind(window.current.kind())
        ))
    } else if window.end <= window.start {
        Some("the window ends before it starts".into())
    } else if window.current.len() > MAX_SAMPLE_VALUES {
        Some(format!("the sample has more than {MAX_SAMPLE_VALUES} values"))
    } else {
        window.current.problem().map(|p| format!("the sample: {p}"))
    };
    if let Some(problem) = problem {
        return Err(ApiError::unprocessable(problem));
    }
    state.store.put_window(&window).await?;
    Ok(Json(window))
}

#[utoipa::path(get, path = "/v1/models/{id}/quality", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id"), SeriesQuery),
    responses((status = 200, description = "Quality points of the model, oldest first", body = Vec<QualityPoint>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 404, description = "No such model", body = ErrorBody)))]
pub async fn list_quality(
    State(state): State<ServerState>,
    _caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<SeriesQuery>, QueryRejection>,
) -> Result<Json<Vec<QualityPoint>>, ApiError> {
    let (since, limit) = SeriesQuery::parse(query)?;
    let model = load_model(&state, &id).await?;
    Ok(Json(state.store.quality(&model.id, since, limit).await?))
}

#[utoipa::path(put, path = "/v1/models/{id}/quality", tag = "models", security(("bearer" = [])),
    description = "Create or replace the model's quality point of the window that starts at `start`.",
    params(("id" = String, Path, description = "Model id; must equal the body's model_id")),
    request_body = QualityPoint,
    responses((status = 200, description = "Stored", body = QualityPoint),
              (status = 400, description = "Malformed body", body = ErrorBody),
              (status = 403, description = "Viewers cannot write", body = ErrorBody),
              (status = 404, description = "No such model", body = ErrorBody),
              (status = 422, description = "Model id mismatch or a figure out of its range", body = ErrorBody)))]
pub async fn put_quality(
    State(state): State<ServerState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    body: Body<QualityPoint>,
) -> Result<Json<QualityPoint>, ApiError> {
    require_writer(&me)?;
    let Body(point) = body;
    let model = load_model(&state, &id).await?;
    if point.model_id != model.id {
        let message = format!("the body's model_id `{}` is not the path's `{}`", shown(&point.model_id), model.id);
        return Err(ApiError::unprocessable(message));
    }
    if let Some(problem) = point.problem() {
        return Err(ApiError::unprocessable(problem));
    }
    state.store.put_quality(&point).await?;
    Ok(Json(point))
}
