//! # orgplane-http-adapter
//!
//! Every HTTP surface of Orgplane on actix-web. Routes parse their wire format into the
//! validated commands of `orgplane-ports`, authenticate and run the use case in one trip
//! to the blocking pool ([`extract::Caller::run`]) and map errors in one place per
//! surface ([`canonical::problem`] for the canonical surface). Each surface is a module
//! tree of its own.

pub mod admission;
pub mod canonical;
mod dashboard;
pub mod extract;
pub mod failure;
mod health;
pub mod metrics;
pub mod msndr;
mod openapi;
pub mod overview;
pub mod postal;
pub mod postgrid;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer, ResponseError};
use orgplane_ports::usecase::UseCases;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// What every handler shares.
pub struct State {
    /// The use cases.
    pub usecases: Arc<dyn UseCases>,
    /// This process's metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Turns on the blocking pool, one per database connection.
    pub admission: admission::Admission,
    /// Turns of the use cases that hash a password, one per hash run at once.
    pub hashing: admission::Admission,
    /// The largest body accepted (for surfaces that read bodies themselves).
    pub body_limit_bytes: usize,
    /// The largest batch of events accepted.
    pub events_body_limit_bytes: usize,
    /// The monthly limit of a sub-organization created through PostGrid's surface.
    pub sub_organization_limit: Option<orgplane_domain::organization::MonthlyLimit>,
}

/// HTTP server settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Largest body accepted.
    pub body_limit_bytes: usize,
    /// Largest batch of events accepted.
    pub events_body_limit_bytes: usize,
    /// The monthly limit of a sub-organization created through PostGrid's surface.
    pub sub_organization_limit: Option<orgplane_domain::organization::MonthlyLimit>,
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_timeout: Duration,
    /// Use cases run at once (the store's connections); more wait their turn in order.
    pub concurrency: usize,
    /// Use cases that hash a password run at once (hashes at once), apart from the others.
    pub hashing_concurrency: usize,
    /// How long a request waits for its turn before it is answered 503.
    pub admission_timeout: Duration,
}

/// Every route of every surface, as an app and the OpenAPI document it makes.
fn routes() -> (
    App<
        impl actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    let (app, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(health::configure)
        .configure(canonical::configure)
        .configure(postal::configure)
        .configure(postgrid::configure)
        .configure(overview::configure)
        .configure(msndr::configure)
        .split_for_parts();
    (app, openapi::conform(doc))
}

/// The OpenAPI document of every route served.
pub fn document() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The extractor configuration: body limits and the errors of extractors as problems.
fn extractors(body_limit_bytes: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(
            web::JsonConfig::default()
                .limit(body_limit_bytes)
                .error_handler(extract::json_error),
        )
        // Raw bodies (an optional JSON body is read as bytes) obey the same limit.
        .app_data(web::PayloadConfig::default().limit(body_limit_bytes))
        .app_data(web::PathConfig::default().error_handler(extract::path_error))
        .app_data(web::QueryConfig::default().error_handler(extract::query_error));
    }
}

/// No route matched: 405 (with `Allow`) when the path is served with other methods,
/// else 404, in the error shape of the surface the path belongs to.
async fn no_route(req: HttpRequest, table: web::Data<openapi::RouteTable>) -> HttpResponse {
    let allow = table.allowed(req.path());
    let path = req.path();
    let mut response = if path.starts_with("/api/v1/") {
        postal::no_such_route(&req, &allow)
    } else if path.starts_with("/print-mail/") {
        postgrid::no_such_route(&req, &allow)
    } else if path.starts_with("/v1/email/") {
        msndr::no_such_route(&req, &allow)
    } else if path.starts_with("/api/") {
        overview::no_such_route(&req, &allow)
    } else {
        let status = if allow.is_empty() {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::METHOD_NOT_ALLOWED
        };
        canonical::problem::Problem::from_status(status).error_response()
    };
    if !allow.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
    response
}

/// Starts serving on `listener`.
pub fn serve(
    listener: TcpListener,
    usecases: Arc<dyn UseCases>,
    settings: HttpSettings,
) -> std::io::Result<Server> {
    let state = web::Data::new(State {
        usecases,
        metrics: Arc::new(metrics::Metrics::new()),
        admission: admission::Admission::new(settings.concurrency, settings.admission_timeout),
        hashing: admission::Admission::new(
            settings.hashing_concurrency,
            settings.admission_timeout,
        ),
        body_limit_bytes: settings.body_limit_bytes,
        events_body_limit_bytes: settings.events_body_limit_bytes,
        sub_organization_limit: settings.sub_organization_limit,
    });
    let limit = settings.body_limit_bytes;
    let mut server = HttpServer::new(move || {
        let (app, doc) = routes();
        let table = web::Data::new(openapi::RouteTable::of(&doc));
        app.wrap(ErrorHandlers::new().default_handler(canonical::problem::ensure_problem))
            .wrap_fn(|req, srv| {
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let started = std::time::Instant::now();
                let response = srv.call(req);
                async move {
                    let mut res = response.await?;
                    let status = res.status().as_u16();
                    // Inside the request span, so the line carries the request id.
                    tracing::info!(status, "request finished");
                    if let Some(state) = res.request().app_data::<web::Data<State>>() {
                        let request = res.request();
                        state.metrics.observe(
                            request.match_pattern().as_deref(),
                            request.method().as_str(),
                            status,
                            started.elapsed().as_secs_f64(),
                        );
                    }
                    if let Some(id) =
                        request_id.and_then(|id: String| HeaderValue::from_str(&id).ok())
                    {
                        res.headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(table)
            .configure(extractors(limit))
            .configure(dashboard::routes)
            .service(web::redirect("/docs", "/docs/"))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc))
            .default_service(web::to(no_route))
    })
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    // The application stops the server itself on SIGINT and SIGTERM alike, gracefully:
    // actix would treat SIGINT as a forced stop and drop requests in flight.
    .disable_signals()
    .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok(server.run())
}
