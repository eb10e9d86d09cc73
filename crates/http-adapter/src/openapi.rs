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

/// Makes `doc` say what is served, in one place instead of on each handler: every
/// canonical problem answer as `application/problem+json`; on every canonical operation
/// the errors the shared machinery gives whatever the handler (503 when the database is
/// unavailable; 413 and 415 for a body); Postal's parameters optional. Checked from the
/// outside by schemathesis (`make fuzz`).
pub fn conform(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Ok(mut value) = serde_json::to_value(&doc) else {
        return doc;
    };
    let problem = serde_json::json!({
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    });
    let canonical = |path: &str| {
        !["/api/", "/print-mail/", "/v1/email/"]
            .iter()
            .any(|p| path.starts_with(p))
    };
    if let Some(paths) = value["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                let has_body = operation.get("requestBody").is_some();
                // Postal reads its parameters from a JSON or a form body, or from none:
                // a request without them is answered too (a `parameter-error` envelope,
                // HTTP 200 like every Postal error), so the body is optional.
                if path.starts_with("/api/v1/") {
                    if let Some(body) = operation
                        .get_mut("requestBody")
                        .and_then(|b| b.as_object_mut())
                    {
                        body.insert("required".into(), serde_json::Value::Bool(false));
                    }
                }
                let Some(responses) = operation
                    .get_mut("responses")
                    .and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                for response in responses.values_mut() {
                    let Some(content) = response.get_mut("content").and_then(|c| c.as_object_mut())
                    else {
                        continue;
                    };
                    let is_problem = content
                        .get("application/json")
                        .and_then(|c| c["schema"]["$ref"].as_str())
                        .is_some_and(|r| r.ends_with("/Problem"));
                    if is_problem {
                        if let Some(json) = content.remove("application/json") {
                            content.insert("application/problem+json".into(), json);
                        }
                    }
                }
                if canonical(path) && !["/healthz", "/metrics"].contains(&path.as_str()) {
                    let mut add = |status: &str, description: &str| {
                        responses.entry(status).or_insert_with(|| {
                            serde_json::json!({"description": description, "content": problem.clone()})
                        });
                    };
                    add("503", "The database is unreachable or busy; retry shortly");
                    if has_body {
                        add("413", "The body is too large");
                        add("415", "The body is not sent as JSON");
                    }
                }
            }
        }
    }
    match serde_json::from_value(value) {
        Ok(conformed) => conformed,
        // Only a bug here can make it fail; the first test that builds the app shows it.
        Err(e) => panic!("the conformed OpenAPI document does not read back: {e}"),
    }
}

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
#[cfg(test)]
mod conform_tests {
    #[test]
    fn problems_are_documented_as_problem_json_with_the_shared_errors() {
        let doc = serde_json::to_value(crate::document()).unwrap();
        let get = &doc["paths"]["/orgs/{org_id}"]["get"]["responses"];
        assert!(
            get["404"]["content"]["application/problem+json"].is_object(),
            "{get}"
        );
        assert!(
            get["503"]["content"]["application/problem+json"].is_object(),
            "{get}"
        );
        let patch = &doc["paths"]["/orgs/{org_id}"]["patch"]["responses"];
        assert!(
            patch["415"].is_object() && patch["413"].is_object(),
            "{patch}"
        );
        let postgrid = &doc["paths"]["/print-mail/v1/sub_organizations"]["get"]["responses"];
        assert!(
            postgrid["503"].is_null(),
            "other surfaces keep their own shapes"
        );
    }
}
