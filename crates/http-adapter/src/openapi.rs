//! The OpenAPI 3 document (`/openapi.json`), generated from the routes, and a
//! self-contained browsable page (`/docs`) that needs nothing from the internet.

use crate::canonical::{
    api_key, event, ip_address, ip_pool, log, organization, problem, report, server, session, user,
};
use crate::{health, postal};
use actix_web::{get, HttpResponse};
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

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Orgplane", description = "Control plane of a multi-tenant email-sending platform: organizations, identity, mail servers, IP pools and statistics."),
    paths(
        health::healthz, health::readyz,
        organization::create, organization::list, organization::read, organization::update,
        organization::remove, organization::children, organization::read_customizations,
        organization::replace_customizations,
        log::access_log, log::audit_log, log::children_audit,
        user::create, user::list, user::read, user::update, user::remove,
        api_key::create, api_key::list, api_key::revoke,
        session::login, session::logout,
        server::create, server::list, server::read, server::update, server::remove,
        server::sending,
        ip_pool::create, ip_pool::list, ip_pool::read, ip_pool::update, ip_pool::remove,
        ip_pool::add_address, ip_pool::remove_address,
        ip_address::create, ip_address::list, ip_address::read, ip_address::update,
        ip_address::remove,
        event::ingest,
        report::statistics, report::ip_allocation, report::consumption,
        postal::organization::statistics, postal::organization::ip_allocation,
    ),
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
         (name = "operations", description = "Health and readiness")),
)]
pub struct ApiDoc;

/// The OpenAPI document.
#[get("/openapi.json")]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// A browsable rendering of the OpenAPI document.
#[get("/docs")]
pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orgplane API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:6px;margin:.5rem 0}
summary{cursor:pointer;padding:.5rem;font-family:monospace;font-size:1rem}
.m{display:inline-block;width:5rem;font-weight:bold}.get{color:#0a7}.post{color:#07c}.patch{color:#c80}.put{color:#a5c}.delete{color:#c33}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.8rem} .body{padding:0 1rem 1rem}
</style></head><body>
<h1>Orgplane API</h1><p>Rendered from <a href="/openapi.json">/openapi.json</a>.</p><div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('ops'); root.textContent='';
  const esc=s=>String(s??'').replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
  for(const [path,item] of Object.entries(doc.paths)){
    for(const [method,op] of Object.entries(item)){
      const d=document.createElement('details'); d.className='op';
      const params=(op.parameters||[]).map(p=>`<li><code>${esc(p.name)}</code> (${esc(p.in)}) ${esc(p.description)}</li>`).join('');
      const body=op.requestBody?`<h4>Request body</h4><pre>${esc(JSON.stringify(op.requestBody.content,null,2))}</pre>`:'';
      const resp=Object.entries(op.responses||{}).map(([c,r])=>`<li><b>${esc(c)}</b> ${esc(r.description)}</li>`).join('');
      d.innerHTML=`<summary><span class="m ${method}">${method.toUpperCase()}</span>${esc(path)} — ${esc(op.summary||op.description||'')}</summary>
        <div class="body"><p>${esc(op.description||'')}</p>${params?`<h4>Parameters</h4><ul>${params}</ul>`:''}${body}<h4>Responses</h4><ul>${resp}</ul></div>`;
      root.appendChild(d);
    }
  }
  const s=document.createElement('details'); s.innerHTML='<summary>Schemas</summary><pre>'+esc(JSON.stringify(doc.components,null,2))+'</pre>'; root.appendChild(s);
});
</script></body></html>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_covers_every_registered_route() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/healthz",
            "/readyz",
            "/orgs",
            "/orgs/{org_id}",
            "/orgs/{org_id}/children",
            "/orgs/{org_id}/customizations",
            "/orgs/{org_id}/access_log",
            "/orgs/{org_id}/audit_log",
            "/orgs/{org_id}/children_audit",
            "/orgs/{org_id}/users",
            "/users/{user_id}",
            "/users/{user_id}/api_keys",
            "/api_keys/{key_id}",
            "/auth/login",
            "/auth/logout",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} missing from the OpenAPI document"
            );
        }
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    }
}
