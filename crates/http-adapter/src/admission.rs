//! Admission to the blocking pool: at most as many use cases run at once as the store has
//! connections; the others wait here, in arrival order, on the async worker, holding no
//! thread. [`blocking`], [`hashing`] and [`unqueued`] are the trips to the blocking pool
//! (Diesel and argon2 block), through the main queue, the hashing queue or neither.
//!
//! Without it, every request got a blocking thread at once and the surplus waited inside
//! the connection pool, whose lock is not fair: a thread woken for a returned connection
//! often found it already taken by a newcomer, and a few unlucky requests waited for
//! hundreds of milliseconds while the median did not move (the p99 of the reports under
//! `make bench`). A FIFO semaphore in front bounds each wait by the work queued ahead.

use crate::State;
use actix_web::web;
use orgplane_ports::usecase::{ServiceError, UseCases};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The turns of the blocking pool: `slots` at once, handed out first come, first served.
#[derive(Debug, Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
    patience: Duration,
}

/// A turn on the blocking pool; the next waiter is admitted when it drops.
#[derive(Debug)]
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// `slots` use cases at once (at least one); a request that waits longer than
    /// `patience` for its turn is answered "unavailable" (503), as one that waits too long
    /// for a connection is.
    pub fn new(slots: usize, patience: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            patience,
        }
    }

    /// Waits for a turn, in arrival order.
    pub async fn enter(&self) -> Result<Turn, ServiceError> {
        match actix_web::rt::time::timeout(self.patience, self.slots.clone().acquire_owned()).await
        {
            Ok(Ok(permit)) => Ok(Turn { _permit: permit }),
            // Waited too long, or the semaphore was closed (never done).
            Ok(Err(_)) | Err(_) => Err(ServiceError::Unavailable),
        }
    }

    /// Turns free right now.
    #[cfg(test)]
    fn free(&self) -> usize {
        self.slots.available_permits()
    }
}

/// Runs work on the blocking pool (Diesel and argon2 block), keeping the request's
/// tracing span, once its turn comes ([`Admission`]: no more at once than there
/// are connections, first come, first served). [`Caller::run`] goes through it.
pub async fn blocking<T, F>(state: &State, work: F) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(&dyn UseCases) -> Result<T, ServiceError> + Send + 'static,
{
    admitted(state, &state.admission, work).await
}

/// Runs a use case that hashes a password on the blocking pool once its turn comes in a
/// queue of its own, with one turn per hash run at once: it holds no connection while it
/// hashes, so a turn of the main queue held through a hash would keep reads waiting while
/// connections sit idle; and its own queue keeps a flood of logins from piling up
/// threads (a wait past the checkout timeout answers 503 here too). Its short database
/// steps take a connection without a turn of the main queue: at most that many beyond it.
pub async fn hashing<T, F>(state: &State, work: F) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(&dyn UseCases) -> Result<T, ServiceError> + Send + 'static,
{
    admitted(state, &state.hashing, work).await
}

async fn admitted<T, F>(
    state: &State,
    queue: &crate::admission::Admission,
    work: F,
) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(&dyn UseCases) -> Result<T, ServiceError> + Send + 'static,
{
    let waiting = state.metrics.blocking_queued();
    let turn = match queue.enter().await {
        Ok(turn) => turn,
        Err(e) => {
            waiting.gave_up();
            return Err(e);
        }
    };
    off_worker(state, waiting, move |uc| {
        let _turn = turn;
        work(uc)
    })
    .await
}

/// Runs work on the blocking pool at once, without waiting for a turn: for readiness,
/// which has a connection of its own and must answer while the pool is merely busy.
pub async fn unqueued<T, F>(state: &State, work: F) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(&dyn UseCases) -> Result<T, ServiceError> + Send + 'static,
{
    off_worker(state, state.metrics.blocking_queued(), work).await
}

async fn off_worker<T, F>(
    state: &State,
    waiting: crate::metrics::Waiting,
    work: F,
) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(&dyn UseCases) -> Result<T, ServiceError> + Send + 'static,
{
    let usecases: Arc<dyn UseCases> = state.usecases.clone();
    let span = tracing::Span::current();
    let done = web::block(move || {
        let _running = waiting.running();
        span.in_scope(|| work(usecases.as_ref()))
    })
    .await;
    done.map_err(|e| ServiceError::Internal(format!("blocking task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[actix_web::test]
    async fn a_request_waits_while_every_slot_is_taken_and_gives_up_as_unavailable() {
        // Given one slot, taken.
        let admission = Admission::new(1, Duration::from_millis(50));
        let held = admission.enter().await.unwrap();
        assert_eq!(admission.free(), 0);

        // When another request asks for a turn, then it is refused once its patience ends.
        let refused = admission.enter().await;
        assert!(matches!(refused, Err(ServiceError::Unavailable)));

        // And once the slot is given back, the next request gets it.
        drop(held);
        assert!(admission.enter().await.is_ok());
    }

    #[actix_web::test]
    async fn waiting_requests_are_admitted_in_the_order_they_came() {
        // Given one slot, taken, and five requests queueing behind it one after another.
        let admission = Admission::new(1, Duration::from_secs(10));
        let held = admission.enter().await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..5 {
            let (admission, order) = (admission.clone(), order.clone());
            waiting.push(actix_web::rt::spawn(async move {
                let _turn = admission.enter().await.unwrap();
                order.lock().unwrap().push(i);
                // Held across a yield, so a later arrival could barge in if it were unfair.
                actix_web::rt::task::yield_now().await;
            }));
            // Each is queued before the next arrives.
            actix_web::rt::task::yield_now().await;
        }

        // When the slot is given back, then they run first come, first served.
        drop(held);
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
