//! What a failed use case means on the wire, whatever the surface: its HTTP status, a
//! plain sentence, and when to retry. Each surface's one mapping function puts this in
//! its own shape (and words some cases as its seed does); the status rules live here only.

use actix_web::http::StatusCode;
use orgplane_ports::usecase::{Conflict, ServiceError};

/// The surface-neutral answer to a [`ServiceError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status.
    pub status: StatusCode,
    /// A sentence for the caller (field errors joined as `field: message; ...`).
    pub message: String,
    /// Seconds to wait before trying again (throttled, unavailable).
    pub retry_after: Option<u64>,
}

/// The status of `e`; [`Failure::of`] gives the rest.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
        // Out of reach is folded into NotFound before it gets here (`From<Denied>`).
        ServiceError::NotFound => StatusCode::NOT_FOUND,
        ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
        ServiceError::Invalid(_) => StatusCode::BAD_REQUEST,
        ServiceError::Conflict(Conflict::IdempotencyKeyReused) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        ServiceError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl Failure {
    /// The answer to `e`. An internal error is logged here, once, with its detail (which
    /// never reaches the caller).
    pub fn of(e: &ServiceError) -> Self {
        let (message, retry_after) = match e {
            ServiceError::Unauthenticated => (
                "The credential is missing, unknown, expired or revoked.".to_owned(),
                None,
            ),
            ServiceError::NotFound => ("Not found".to_owned(), None),
            ServiceError::Forbidden(d) => (d.to_string(), None),
            ServiceError::Invalid(errors) => (
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                None,
            ),
            ServiceError::Conflict(c) => (c.to_string(), None),
            ServiceError::Throttled { retry_after_secs } => (
                format!("Too many attempts; retry in {retry_after_secs} seconds."),
                Some(*retry_after_secs),
            ),
            ServiceError::Unavailable => (
                "The database is unreachable or busy; retry shortly.".to_owned(),
                Some(1),
            ),
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ("Something went wrong on our side.".to_owned(), None)
            }
        };
        Self {
            status: status_of(e),
            message,
            retry_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgplane_domain::access::Denied;
    use orgplane_ports::usecase::FieldError;

    #[test]
    fn each_error_has_one_status_and_a_sentence_without_internals() {
        let internal = Failure::of(&ServiceError::Internal("pool exploded: secret".into()));
        assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.message.contains("secret"));
        let reused = Failure::of(&ServiceError::Conflict(Conflict::IdempotencyKeyReused));
        assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let throttled = Failure::of(&ServiceError::Throttled {
            retry_after_secs: 7,
        });
        assert_eq!(
            (throttled.status, throttled.retry_after),
            (StatusCode::TOO_MANY_REQUESTS, Some(7))
        );
        let invalid = Failure::of(&ServiceError::Invalid(vec![
            FieldError::new("name", "is required"),
            FieldError::new("zip", "is too long"),
        ]));
        assert_eq!(invalid.message, "name: is required; zip: is too long");
        assert_eq!(
            status_of(&ServiceError::Forbidden(Denied::TestKey)),
            StatusCode::FORBIDDEN
        );
        assert_eq!(Failure::of(&ServiceError::Unavailable).retry_after, Some(1));
    }
}
