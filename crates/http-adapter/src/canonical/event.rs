//! `POST /events`: message events from the sending engine, in batches.

use super::problem::Problem;
use crate::extract::{
    check, checked, field, idempotency, optional_body, read_body, recorded_json, send_outcome,
    Caller,
};
use crate::State;
use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use orgplane_domain::event::{EventBatch, EventCount, EventKind, NewEvent};
use orgplane_ports::store::RecordedResponse;
use orgplane_ports::usecase::{EventReport, FieldError, Outcome};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsBody {
    /// 1 to 10,000 events, in the order they happened.
    pub events: Vec<EventBody>,
}

/// One event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// The server (its id).
    pub server_id: String,
    /// `queued` (entered the queue), `sent` (left through `ip_address`) or `failed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `sent` only, and required there: the IPv4 or IPv6 address it left from, one
    /// of the server's pool's addresses.
    pub ip_address: Option<String>,
    /// How many messages (1 to 1,000,000; default 1).
    pub count: Option<i64>,
    /// RFC 3339 time (default: now); not before the retention, not in the future.
    pub occurred_at: Option<String>,
}

/// What an accepted batch counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsResponse {
    /// Events in the batch.
    pub events: u64,
    /// Messages queued.
    pub queued: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages failed.
    pub failed: u64,
    /// Whether the counters moved (`false` for a test-mode key: checked, never counted).
    pub counted: bool,
}

fn render(report: &EventReport) -> RecordedResponse {
    let s = report.summary;
    let body = EventsResponse {
        events: s.events,
        queued: s.queued,
        sent: s.sent,
        failed: s.failed,
        counted: report.counted,
    };
    recorded_json(StatusCode::OK, &body)
}

fn time(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "must be an RFC 3339 time such as 2026-01-01T00:00:00Z")
}

/// The name of one event's field, `events[i].field`, written out only for an error.
struct EventField(usize, &'static str);

impl std::fmt::Display for EventField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "events[{}].{}", self.0, self.1)
    }
}

impl EventsBody {
    fn parse(self) -> Result<EventBatch, Problem> {
        let e = &mut Vec::new();
        let mut events = Vec::with_capacity(self.events.len());
        for (i, raw) in self.events.into_iter().enumerate() {
            let name = |f: &'static str| EventField(i, f);
            let server = field(e, name("server_id"), Some(&raw.server_id), Uuid::parse_str);
            let kind = field(e, name("type"), Some(&raw.kind), EventKind::parse);
            let ip_address = field(e, name("ip_address"), raw.ip_address.as_deref(), |v| {
                v.parse::<IpAddr>()
                    .map_err(|_| "must be an IPv4 or IPv6 address")
            });
            let count =
                checked(e, name("count"), raw.count, EventCount::new).unwrap_or(EventCount::ONE);
            let occurred_at = field(e, name("occurred_at"), raw.occurred_at.as_deref(), time);
            if let (Some(server), Some(kind)) = (server, kind) {
                events.push(NewEvent {
                    server,
                    kind,
                    ip_address,
                    count,
                    occurred_at,
                });
            }
        }
        check(std::mem::take(e))?;
        EventBatch::new(events)
            .map_err(|err| Problem::invalid(vec![FieldError::new("events", err)]))
    }
}

/// Report message events, in batches of up to 10,000: checked whole, then counted in one
/// transaction, or refused whole. With an `Idempotency-Key`, a retried batch counts once
/// (the same key with another body answers 422).
#[utoipa::path(tag = "events", request_body = EventsBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried batch count once (kept 24 h, per user)")),
    responses((status = 200, body = EventsResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/events")]
pub async fn ingest(
    state: web::Data<State>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    // A batch of 10,000 events is larger than any other body: a limit of its own.
    let body = read_body(payload, state.events_body_limit_bytes).await?;
    let batch = optional_body::<EventsBody>(&req, &body)?
        .ok_or_else(|| Problem::bad_request("The body must be {\"events\": [...]}."))?
        .parse()?;
    let idempotency = idempotency(&req, &body, render).map_err(|e| Problem::invalid(vec![e]))?;
    let outcome = caller
        .run(&state, move |uc, actor| {
            uc.ingest_events(actor, batch, idempotency)
        })
        .await?;
    if let Outcome::Done(report) = &outcome {
        state
            .metrics
            .events_ingested(report.summary.events, report.counted);
    }
    Ok(send_outcome(outcome, render))
}

#[cfg(test)]
mod tests {
    use super::EventsBody;
    use crate::extract::{optional_body, optional_json, parse_body};
    use actix_web::test::TestRequest;

    /// What the value path answers: the body read into a `Value`, then into the DTO.
    fn through_a_value(body: &str) -> Result<Option<EventsBody>, String> {
        let req = TestRequest::default()
            .insert_header(("Content-Type", "application/json"))
            .to_http_request();
        optional_json(&req, body.as_bytes())
            .and_then(|v| v.map(parse_body::<EventsBody>).transpose())
            .map_err(|p| format!("{p:?}"))
    }

    fn straight(body: &str) -> Result<Option<EventsBody>, String> {
        let req = TestRequest::default()
            .insert_header(("Content-Type", "application/json"))
            .to_http_request();
        optional_body::<EventsBody>(&req, body.as_bytes()).map_err(|p| format!("{p:?}"))
    }

    #[test]
    fn a_batch_read_straight_from_bytes_reads_as_through_a_value() {
        // Given valid bodies, and bodies wrong in every way a reader can find.
        let event = r#"{"server_id": "x", "type": "sent", "ip_address": "192.0.2.1", "count": 2}"#;
        let bodies = [
            format!(r#"{{"events": [{event}, {event}]}}"#),
            r#"{"events": []}"#.to_owned(),
            "  ".to_owned(),
            "[1, 2]".to_owned(),
            r#"{"events": [{"server_id": "x", "type": "sent", "colour": "red"}]}"#.to_owned(),
            r#"{"events": [{"server_id": 7, "type": "sent"}]}"#.to_owned(),
            r#"{"events": [{"server_id": "x", "type": "sent", "count": 1.5}]}"#.to_owned(),
            r#"{"events": [{"server_id": "x", "type": "a", "type": "b"}]}"#.to_owned(),
            r#"{"events": []} trailing"#.to_owned(),
            r#"{"events": [{"type": "sent"}]}"#.to_owned(),
            r#"{"events": [{"server_id": "x", "type": "sent"}"#.to_owned(),
        ];
        for body in &bodies {
            // Then the fast path answers exactly what the value path answers.
            assert_eq!(
                format!("{:?}", straight(body)),
                format!("{:?}", through_a_value(body)),
                "{body}"
            );
        }
        // And a wrong content type is refused before any parsing.
        let req = TestRequest::default()
            .insert_header(("Content-Type", "text/plain"))
            .to_http_request();
        assert!(optional_body::<EventsBody>(&req, bodies[0].as_bytes()).is_err());
    }
}
