//! # orgplane-http-adapter
//!
//! Every HTTP surface of Orgplane on actix-web. Routes parse their wire format into the
//! validated commands of `orgplane-ports`, authenticate through [`extract::Authenticated`],
//! run the use case on the blocking pool ([`extract::run`]) and map errors in one place
//! per surface ([`problem`] for the canonical surface).

pub mod api_key;
pub mod extract;
mod health;
pub mod log;
mod openapi;
pub mod organization;
pub mod problem;
pub mod session;
pub mod user;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpMessage, HttpServer};
use orgplane_domain::page::Page;
use orgplane_ports::usecase::UseCases;
use serde::Serialize;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::ToSchema;

/// What every handler shares.
pub struct State {
    /// The use cases.
    pub usecases: Arc<dyn UseCases>,
}

/// HTTP server settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Largest body accepted.
    pub body_limit_bytes: usize,
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_timeout: Duration,
}

/// A keyset-paginated list on the canonical surface.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> ListResponse<T> {
    /// From a domain page.
    pub fn from_page(page: Page<T>) -> Self {
        Self {
            data: page.items,
            next_cursor: page.next.map(|c| c.to_string()),
        }
    }
}

/// `204 No Content`.
pub struct NoContent;

impl actix_web::Responder for NoContent {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        actix_web::HttpResponse::NoContent().finish()
    }
}

/// Registers every route and the extractor configuration.
pub fn configure(body_limit_bytes: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(
            web::JsonConfig::default()
                .limit(body_limit_bytes)
                .error_handler(extract::json_error),
        )
        // Raw bodies (an optional JSON body is read as bytes) obey the same limit.
        .app_data(web::PayloadConfig::default().limit(body_limit_bytes))
        .app_data(web::PathConfig::default().error_handler(extract::path_error))
        .app_data(web::QueryConfig::default().error_handler(extract::query_error))
        .service(openapi::spec)
        .service(openapi::docs)
        .service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(
            web::resource("/orgs")
                .route(web::post().to(organization::create))
                .route(web::get().to(organization::list)),
        )
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/api_keys/{key_id}").route(web::delete().to(api_key::revoke)))
        .service(web::resource("/auth/login").route(web::post().to(session::login)))
        .service(web::resource("/auth/logout").route(web::post().to(session::logout)))
        .service(
            web::resource("/orgs/{org_id}")
                .route(web::get().to(organization::read))
                .route(web::patch().to(organization::update))
                .route(web::delete().to(organization::remove)),
        )
        .service(
            web::resource("/users/{user_id}")
                .route(web::get().to(user::read))
                .route(web::patch().to(user::update))
                .route(web::delete().to(user::remove)),
        )
        .service(web::resource("/orgs/{org_id}/access_log").route(web::get().to(log::access_log)))
        .service(web::resource("/orgs/{org_id}/audit_log").route(web::get().to(log::audit_log)))
        .service(
            web::resource("/orgs/{org_id}/children").route(web::get().to(organization::children)),
        )
        .service(
            web::resource("/orgs/{org_id}/children_audit")
                .route(web::get().to(log::children_audit)),
        )
        .service(
            web::resource("/orgs/{org_id}/customizations")
                .route(web::get().to(organization::read_customizations))
                .route(web::put().to(organization::replace_customizations)),
        )
        .service(
            web::resource("/orgs/{org_id}/users")
                .route(web::post().to(user::create))
                .route(web::get().to(user::list)),
        )
        .service(
            web::resource("/users/{user_id}/api_keys")
                .route(web::post().to(api_key::create))
                .route(web::get().to(api_key::list)),
        );
    }
}

/// Starts serving on `listener`.
pub fn serve(
    listener: TcpListener,
    usecases: Arc<dyn UseCases>,
    settings: HttpSettings,
) -> std::io::Result<Server> {
    let state = web::Data::new(State { usecases });
    let limit = settings.body_limit_bytes;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(ErrorHandlers::new().default_handler(problem::ensure_problem))
            .wrap_fn(|req, srv| {
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let response = srv.call(req);
                async move {
                    let mut res = response.await?;
                    // Inside the request span, so the line carries the request id.
                    tracing::info!(status = res.status().as_u16(), "request finished");
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
            .configure(configure(limit))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(problem::Problem::from_status(
                    StatusCode::NOT_FOUND,
                ))
            }))
    })
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok(server.run())
}
