//! The OpenAPI 3 document: its fixed parts here, its routes collected from the services
//! registered, so that a served route is always documented. Served at `/openapi.json`,
//! browsable at `/docs` (Swagger UI, compiled into the binary).

use crate::canonical::problem;
use crate::postal;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`live_…`/`test_…`) or a session token (`ses_…`).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "x_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "x_server_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Server-API-Key"))),
        );
    }
}

/// The parts of the document that are not routes: information, shared schemas, security
/// schemes, tags. The routes come from the services registered (see [`crate::routes`]).
#[derive(OpenApi)]
#[openapi(
    info(title = "Orgplane", description = "Control plane of a multi-tenant email-sending platform: organizations, identity, mail servers, IP pools and statistics."),
    components(schemas(problem::Problem, problem::FieldProblem, postal::ParameterErrorData)),
    modifiers(&Security),
    tags((name = "organizations", description = "Organizations and sub-organizations (canonical surface)"),
         (name = "users", description = "Users of an organization"),
         (name = "api_keys", description = "API keys (the value is shown once)"),
         (name = "auth", description = "Login sessions"),
         (name = "logs", description = "Access and audit logs"),
         (name = "servers", description = "Mail servers and the sending engine's view"),
         (name = "ip_pools", description = "IP pools and their addresses"),
         (name = "ip_addresses", description = "IP addresses"),
         (name = "events", description = "Message events from the sending engine"),
         (name = "statistics", description = "Live statistics, IP allocation, consumption"),
         (name = "postal", description = "Seed 000: Postal-style RPC (envelope; errors answer 200)"),
         (name = "postgrid", description = "Seed 001: PostGrid-style sub-organizations"),
         (name = "overview", description = "Seed 002: the organization list and stats"),
         (name = "msndr", description = "Seed 004: msndr-style organizations (integer ids, a current organization)"),
         (name = "operations", description = "Health and readiness")),
)]
pub struct ApiDoc;

/// The routes of the document, for telling a wrong method (405) from a wrong path (404).
#[derive(Debug, Clone, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    /// The routes of `doc`.
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let value = serde_json::to_value(item).unwrap_or_default();
                let methods = value
                    .as_object()
                    .map(|m| {
                        m.keys()
                            .filter(|k| {
                                ["get", "post", "put", "patch", "delete"].contains(&k.as_str())
                            })
                            .map(|k| k.to_ascii_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                (segments, methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods served at `path` (empty: no route has this path).
    pub fn allowed(&self, path: &str) -> Vec<String> {
        let wanted: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<String> = self
            .0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments.iter().zip(&wanted).all(|(s, w)| {
                        (s.starts_with('{') && s.ends_with('}') && !w.is_empty()) || s == w
                    })
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        allowed.sort();
        allowed.dedup();
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_covers_every_registered_route() {
        let doc = serde_json::to_value(crate::document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/healthz",
            "/readyz",
            "/orgs",
            "/orgs/{org_id}",
            "/orgs/{org_id}/servers",
            "/ip_pools/{pool_id}/ip_addresses/{ip_address_id}",
            "/events",
            "/api/v1/organizations/statistics",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} missing from the OpenAPI document"
            );
        }
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    }

    #[test]
    fn a_known_path_tells_its_methods_and_an_unknown_one_none() {
        let table = RouteTable::of(&crate::document());
        assert_eq!(
            table.allowed("/orgs/123"),
            vec!["DELETE".to_owned(), "GET".to_owned(), "PATCH".to_owned()]
        );
        assert_eq!(table.allowed("/orgs/"), Vec::<String>::new());
        assert_eq!(table.allowed("/nowhere"), Vec::<String>::new());
    }
}
