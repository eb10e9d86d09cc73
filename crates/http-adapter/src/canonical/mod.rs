//! The canonical surface: `/orgs`, users, API keys, sessions and logs (seed 003 and what
//! the seeds imply). JSON in snake_case, ids are UUIDs, lists are keyset-paginated, and
//! every error is an RFC 9457 problem ([`problem`]).

pub mod api_key;
pub mod log;
pub mod organization;
pub mod problem;
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

/// Registers the canonical routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
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
    );
}
