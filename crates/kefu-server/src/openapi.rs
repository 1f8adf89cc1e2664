//! The OpenAPI document, served at `/api/v1/openapi.json`.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kefu API",
        description = "kefu (客服): customer-service hub for e-commerce shops. \
        Every error is {code, message}; see the ErrorCode schema for the stable codes."
    ),
    paths(
        crate::routes::auth::login,
        crate::routes::auth::logout,
        crate::routes::auth::me,
        crate::routes::conversations::list,
        crate::routes::conversations::detail,
        crate::routes::conversations::reply,
        crate::routes::conversations::close,
        crate::routes::desk::overview,
        crate::routes::desk::my_current_status,
        crate::routes::desk::my_status,
        crate::routes::desk::agent_status,
        crate::routes::desk::transfer,
        crate::routes::desk::service_settings,
        crate::routes::desk::put_service_settings,
        crate::routes::desk::widget_queue,
        crate::routes::lint::lint,
        crate::routes::lint::policy,
        crate::routes::lint::put_policy,
        crate::routes::analysis::conversation_analysis,
        crate::routes::customers::profile,
        crate::routes::imports::import,
        crate::routes::knowledge::list,
        crate::routes::knowledge::create,
        crate::routes::knowledge::detail,
        crate::routes::knowledge::update,
        crate::routes::knowledge::change_status,
        crate::routes::knowledge::remove,
        crate::routes::knowledge::search,
        crate::routes::knowledge::bot_settings,
        crate::routes::knowledge::put_bot_settings,
        crate::routes::assist::suggestions,
        crate::routes::assist::used,
        crate::routes::proposals::list,
        crate::routes::proposals::refresh,
        crate::routes::proposals::approve,
        crate::routes::proposals::dismiss,
        crate::routes::proposals::retirement,
        crate::routes::knowledge_files::import,
        crate::routes::knowledge_files::export,
        crate::routes::webhooks::receive,
        crate::routes::widget::open_session,
        crate::routes::widget::history,
        crate::routes::widget::send,
        crate::routes::widget::rate,
        crate::routes::tickets::list,
        crate::routes::tickets::create,
        crate::routes::tickets::detail,
        crate::routes::tickets::assign_department,
        crate::routes::tickets::add_note,
        crate::routes::tickets::resolve,
        crate::routes::tickets::close,
        crate::routes::tickets::reopen,
        crate::routes::tickets::hand_over,
        crate::routes::alerts::list,
        crate::routes::alerts::detail,
        crate::routes::alerts::acknowledge,
        crate::routes::alerts::resolve,
        crate::routes::alerts::settings,
        crate::routes::alerts::put_settings,
        crate::routes::alerts::test_send,
        crate::routes::qa::conversation_qa,
        crate::routes::qa::review,
        crate::routes::qa::appeal,
        crate::routes::qa::decide,
        crate::routes::qa::scores,
        crate::routes::qa::appeals,
        crate::routes::qa::rubric,
        crate::routes::qa::put_rubric,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorCode,
        crate::error::FieldError
    ))
)]
#[derive(Debug)]
pub struct ApiDoc;

pub async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
