//! `/dashboard`: a web page over the public API, with every asset compiled into the
//! binary (no CDN: it works offline). The page calls only what the signed-in credential
//! may call, so it sees exactly what the API shows that credential.

use crate::canonical::problem::Problem;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One bundled file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

impl Asset {
    const fn new(name: &'static str, content_type: &'static str, body: &'static [u8]) -> Self {
        Self {
            name,
            content_type,
            body,
        }
    }

    const fn script(name: &'static str, body: &'static [u8]) -> Self {
        Self::new(name, "text/javascript; charset=utf-8", body)
    }

    const fn style(name: &'static str, body: &'static [u8]) -> Self {
        Self::new(name, "text/css; charset=utf-8", body)
    }
}

const INDEX: Asset = Asset::new(
    "index.html",
    "text/html; charset=utf-8",
    include_bytes!("../dashboard/index.html"),
);

/// The files under `/dashboard/assets/`. uPlot is vendored unchanged from the npm
/// registry (see `dashboard/vendor/uplot-1.6.32/SOURCE.md`).
const ASSETS: &[Asset] = &[
    Asset::script("dashboard.js", include_bytes!("../dashboard/dashboard.js")),
    Asset::script("graph.js", include_bytes!("../dashboard/graph.js")),
    Asset::style(
        "dashboard.css",
        include_bytes!("../dashboard/dashboard.css"),
    ),
    Asset::script(
        "uPlot.iife.min.js",
        include_bytes!("../dashboard/vendor/uplot-1.6.32/uPlot.iife.min.js"),
    ),
    Asset::style(
        "uPlot.min.css",
        include_bytes!("../dashboard/vendor/uplot-1.6.32/uPlot.min.css"),
    ),
    Asset::new(
        "uPlot.LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../dashboard/vendor/uplot-1.6.32/LICENSE"),
    ),
];

/// Only our own files run, and no other site may frame the page.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A strong validator per file, computed once: the files cannot change while we run.
fn etag(asset: &Asset) -> &'static str {
    static TAGS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        std::iter::once(&INDEX)
            .chain(ASSETS)
            .map(|a| {
                let digest = Sha256::digest(a.body);
                let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                (a.name, format!("\"{hex}\""))
            })
            .collect()
    });
    tags.iter()
        .find(|(name, _)| *name == asset.name)
        .map_or("\"\"", |(_, tag)| tag.as_str())
}

fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let tag = etag(asset);
    // RFC 9110's weak comparison: any listed tag (`W/` or not) that matches, or `*`.
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == tag)
        });
    let mut response = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.body)
    };
    let headers = response.headers_mut();
    // Revalidated on every load (a 304 costs no body), so a new binary's files show at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::ETAG, HeaderValue::from_static(tag));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The page.
#[get("/dashboard")]
async fn page(req: HttpRequest) -> HttpResponse {
    serve(&req, &INDEX)
}

/// Its scripts, styles and the vendored library's licence.
#[get("/dashboard/assets/{name}")]
async fn file(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, Problem> {
    ASSETS
        .iter()
        .find(|a| a.name == name.as_str())
        .map(|a| serve(&req, a))
        .ok_or_else(Problem::not_found)
}

/// Registers the page (outside the OpenAPI document: it is not part of the JSON API).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::redirect("/dashboard/", "/dashboard"))
        .service(page)
        .service(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_loads_is_bundled() {
        let html = std::str::from_utf8(INDEX.body).unwrap();
        for reference in html
            .split('"')
            .filter_map(|s| s.strip_prefix("/dashboard/assets/"))
        {
            assert!(
                ASSETS.iter().any(|a| a.name == reference),
                "index.html loads {reference}, which is not bundled"
            );
        }
        assert!(html.contains("/dashboard/assets/dashboard.js"));
    }

    #[test]
    fn each_file_has_its_own_validator() {
        let mut tags: Vec<_> = ASSETS.iter().map(etag).collect();
        tags.push(etag(&INDEX));
        let count = tags.len();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), count);
    }
}
