//! The canonical surface: `/orgs`, users, API keys, sessions and logs (seed 003 and what
//! the seeds imply). JSON in snake_case, ids are UUIDs, lists are keyset-paginated, and
//! every error is an RFC 9457 problem ([`problem`]).

pub mod api_key;
pub mod event;
pub mod ip_address;
pub mod ip_pool;
pub mod log;
pub mod organization;
pub mod problem;
pub mod report;
pub mod server;
pub mod session;
pub mod user;

use actix_web::web;
use orgplane_domain::page::Page;
use serde::Serialize;
use utoipa::ToSchema;

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

/// Registers the canonical routes; event batches may be up to `events_body_limit` bytes.
pub fn configure(events_body_limit: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| routes(cfg, events_body_limit)
}

fn routes(cfg: &mut web::ServiceConfig, events_body_limit: usize) {
    cfg.service(
        web::resource("/orgs")
            .route(web::post().to(organization::create))
            .route(web::get().to(organization::list)),
    )
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
    .service(web::resource("/orgs/{org_id}/children").route(web::get().to(organization::children)))
    .service(
        web::resource("/orgs/{org_id}/children_audit").route(web::get().to(log::children_audit)),
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
    )
    .service(
        web::resource("/orgs/{org_id}/servers")
            .route(web::post().to(server::create))
            .route(web::get().to(server::list)),
    )
    .service(
        web::resource("/servers/{server_id}")
            .route(web::get().to(server::read))
            .route(web::patch().to(server::update))
            .route(web::delete().to(server::remove)),
    )
    .service(web::resource("/servers/{server_id}/sending").route(web::get().to(server::sending)))
    .service(
        web::resource("/orgs/{org_id}/ip_pools")
            .route(web::post().to(ip_pool::create))
            .route(web::get().to(ip_pool::list)),
    )
    .service(
        web::resource("/ip_pools/{pool_id}")
            .route(web::get().to(ip_pool::read))
            .route(web::patch().to(ip_pool::update))
            .route(web::delete().to(ip_pool::remove)),
    )
    .service(
        web::resource("/ip_pools/{pool_id}/ip_addresses/{ip_address_id}")
            .route(web::put().to(ip_pool::add_address))
            .route(web::delete().to(ip_pool::remove_address)),
    )
    .service(
        web::resource("/orgs/{org_id}/ip_addresses")
            .route(web::post().to(ip_address::create))
            .route(web::get().to(ip_address::list)),
    )
    .service(
        web::resource("/ip_addresses/{ip_address_id}")
            .route(web::get().to(ip_address::read))
            .route(web::patch().to(ip_address::update))
            .route(web::delete().to(ip_address::remove)),
    )
    .service(web::resource("/orgs/{org_id}/statistics").route(web::get().to(report::statistics)))
    .service(
        web::resource("/orgs/{org_id}/ip_allocation").route(web::get().to(report::ip_allocation)),
    )
    .service(web::resource("/orgs/{org_id}/consumption").route(web::get().to(report::consumption)))
    .service(
        web::resource("/events")
            // A batch of 10,000 events is larger than any other body.
            .app_data(web::PayloadConfig::default().limit(events_body_limit))
            .route(web::post().to(event::ingest)),
    );
}
