//! # orgplane-http-adapter
//!
//! Every HTTP surface of Orgplane on actix-web. Routes parse their wire format into the
//! validated commands of `orgplane-ports`, authenticate and run the use case in one trip
//! to the blocking pool ([`extract::Caller::run`]) and map errors in one place per
//! surface ([`canonical::problem`] for the canonical surface). Each surface is a module
//! tree of its own.

pub mod canonical;
pub mod extract;
mod health;
mod openapi;
pub mod postal;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpMessage, HttpServer};
use orgplane_ports::usecase::UseCases;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::{RequestId, TracingLogger};

/// What every handler shares.
pub struct State {
    /// The use cases.
    pub usecases: Arc<dyn UseCases>,
    /// The largest body accepted (for surfaces that read bodies themselves).
    pub body_limit_bytes: usize,
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
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_timeout: Duration,
}

/// Registers every route of every surface and the extractor configuration.
pub fn configure(
    body_limit_bytes: usize,
    events_body_limit_bytes: usize,
) -> impl FnOnce(&mut web::ServiceConfig) {
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
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .configure(canonical::configure(events_body_limit_bytes))
        .configure(postal::configure);
    }
}

/// Starts serving on `listener`.
pub fn serve(
    listener: TcpListener,
    usecases: Arc<dyn UseCases>,
    settings: HttpSettings,
) -> std::io::Result<Server> {
    let state = web::Data::new(State {
        usecases,
        body_limit_bytes: settings.body_limit_bytes,
    });
    let (limit, events_limit) = (settings.body_limit_bytes, settings.events_body_limit_bytes);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(ErrorHandlers::new().default_handler(canonical::problem::ensure_problem))
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
            .configure(configure(limit, events_limit))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(canonical::problem::Problem::from_status(
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
