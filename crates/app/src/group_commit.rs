//! Group commit: jobs that arrive while others run are run together, one group at a time.
//!
//! The caller who finds no group running leads: it takes the jobs waiting (its own first,
//! at most `max`), runs them together, answers each waiting caller, and passes the lead to
//! the first caller who arrived meanwhile. Every other caller blocks until it is answered,
//! handed its job back to run alone, or given the lead. A lone caller runs alone at once;
//! under load, the callers who queue behind one group's commit share the next one.
//!
//! Used for event batches: concurrent batches that count the same rows, each in its own
//! transaction, wait for each other's row locks one commit at a time; together they
//! write those rows once.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Runs jobs `J` of concurrent callers in groups, answering each with its `R`.
pub struct GroupCommit<J, R> {
    state: Mutex<State<J, R>>,
    max: usize,
}

/// What a group made of one of its jobs.
pub enum Ran<J, R> {
    /// Its answer.
    Done(R),
    /// Left out: its caller runs it alone, after the group and outside the lead, so that
    /// neither the next group nor the other callers wait for it.
    Alone(J),
}

struct State<J, R> {
    waiting: VecDeque<Waiter<J, R>>,
    /// Whether a caller leads now. While one does, every waiter will be answered or led.
    leading: bool,
    next_ticket: u64,
}

struct Waiter<J, R> {
    ticket: u64,
    job: J,
    reply: SyncSender<Turn<J, R>>,
}

enum Turn<J, R> {
    Ran(Ran<J, R>),
    Lead,
}

impl<J, R> GroupCommit<J, R> {
    /// Groups of at most `max` jobs (at least one).
    pub fn new(max: usize) -> Self {
        Self {
            state: Mutex::new(State {
                waiting: VecDeque::new(),
                leading: false,
                next_ticket: 0,
            }),
            max: max.max(1),
        }
    }

    /// Runs `job` with the jobs waiting beside it: `together` gets the group in arrival
    /// order and returns what it made of each job, in that order; a job it hands back is
    /// run by `alone` in its caller's thread. `lost` answers a caller whose group ended
    /// without its result (`together` panicked or returned too few).
    pub fn run(
        &self,
        job: J,
        together: impl FnOnce(Vec<J>) -> Vec<Ran<J, R>>,
        alone: impl FnOnce(J) -> R,
        lost: impl Fn() -> R,
    ) -> R {
        let (reply, turns) = sync_channel(1);
        let ticket;
        {
            let mut state = self.lock();
            ticket = state.next_ticket;
            state.next_ticket += 1;
            state.waiting.push_back(Waiter { ticket, job, reply });
            if !state.leading {
                state.leading = true;
            } else {
                drop(state);
                match turns.recv() {
                    Ok(Turn::Ran(Ran::Done(result))) => return result,
                    Ok(Turn::Ran(Ran::Alone(job))) => return alone(job),
                    Ok(Turn::Lead) => {}
                    Err(_) => return lost(),
                }
            }
        }
        match self.lead(ticket, turns, together) {
            Some(Ran::Done(result)) => result,
            Some(Ran::Alone(job)) => alone(job),
            None => lost(),
        }
    }

    /// Runs the group that `ticket` heads, answers the others, and returns its own part.
    fn lead(
        &self,
        ticket: u64,
        _own: Receiver<Turn<J, R>>,
        together: impl FnOnce(Vec<J>) -> Vec<Ran<J, R>>,
    ) -> Option<Ran<J, R>> {
        let group: Vec<Waiter<J, R>> = {
            let mut state = self.lock();
            let n = state.waiting.len().min(self.max);
            state.waiting.drain(..n).collect()
        };
        let mut tickets = Vec::with_capacity(group.len());
        let mut replies = Vec::with_capacity(group.len());
        let mut jobs = Vec::with_capacity(group.len());
        for w in group {
            tickets.push(w.ticket);
            replies.push(w.reply);
            jobs.push(w.job);
        }
        // Passes the lead on even if `together` panics; the waiters of this group then
        // see their reply dropped and answer `lost`.
        let handoff = Handoff(self);
        let results = together(jobs);
        drop(handoff);
        let mut own = None;
        for ((t, reply), result) in tickets.into_iter().zip(replies).zip(results) {
            if t == ticket {
                own = Some(result);
            } else {
                // A waiter never leaves before its answer; a failed send has no one to tell.
                let _ = reply.send(Turn::Ran(result));
            }
        }
        own
    }

    fn lock(&self) -> MutexGuard<'_, State<J, R>> {
        // The state is consistent between statements; a panic elsewhere cannot break it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hands the lead to the first waiter, or ends it, when dropped.
struct Handoff<'a, J, R>(&'a GroupCommit<J, R>);

impl<J, R> Drop for Handoff<'_, J, R> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        while let Some(next) = state.waiting.front() {
            // Its channel is empty (a queued waiter has had no message yet), so this only
            // fails if its caller is gone; the lead then goes to the one behind it.
            if next.reply.try_send(Turn::Lead).is_ok() {
                return;
            }
            state.waiting.pop_front();
        }
        state.leading = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::Duration;

    /// A group that answers every job with what `results` yields for it.
    fn done<J, R>(results: impl IntoIterator<Item = R>) -> Vec<Ran<J, R>> {
        results.into_iter().map(Ran::Done).collect()
    }

    /// For groups that hand no job back.
    fn alone<J, R>(_: J) -> R {
        panic!("no job is handed back")
    }

    #[test]
    fn a_lone_job_runs_alone_at_once() {
        let groups = GroupCommit::new(8);
        let answer = groups.run(21, |jobs| done(jobs.iter().map(|j| j * 2)), alone, || 0);
        assert_eq!(answer, 42);
        // and the lead is free again: the next lone job also runs.
        assert_eq!(groups.run(1, done, alone, || 0), 1);
    }

    #[test]
    fn jobs_that_wait_behind_a_group_run_together_and_each_gets_its_own_answer() {
        // Given a group that holds the lead until eight more callers wait
        let groups = Arc::new(GroupCommit::<usize, (usize, usize)>::new(16));
        let callers = 8;
        let queued = Arc::new(Barrier::new(callers + 1));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let first = {
            let (groups, queued, sizes) = (groups.clone(), queued.clone(), sizes.clone());
            thread::spawn(move || {
                groups.run(
                    0,
                    |jobs| {
                        queued.wait();
                        // The others are on their way in; let them reach the queue.
                        thread::sleep(Duration::from_millis(200));
                        sizes.lock().unwrap().push(jobs.len());
                        done(jobs.into_iter().map(|j| (j, 1)))
                    },
                    alone,
                    || (usize::MAX, 0),
                )
            })
        };
        let others: Vec<_> = (1..=callers)
            .map(|j| {
                let (groups, queued, sizes) = (groups.clone(), queued.clone(), sizes.clone());
                thread::spawn(move || {
                    queued.wait();
                    groups.run(
                        j,
                        |jobs| {
                            sizes.lock().unwrap().push(jobs.len());
                            let n = jobs.len();
                            done(jobs.into_iter().map(|j| (j, n)))
                        },
                        alone,
                        || (usize::MAX, 0),
                    )
                })
            })
            .collect();
        // when all are answered
        assert_eq!(first.join().unwrap(), (0, 1));
        let answers: Vec<(usize, usize)> = others.into_iter().map(|t| t.join().unwrap()).collect();
        // then each caller got the answer to its own job, and the eight ran as one group.
        for (j, (answer, _)) in answers.iter().enumerate() {
            assert_eq!(*answer, j + 1);
        }
        assert!(answers.iter().all(|(_, n)| *n == callers), "{answers:?}");
        assert_eq!(*sizes.lock().unwrap(), vec![1, callers]);
    }

    #[test]
    fn no_group_is_larger_than_its_bound_and_every_job_is_answered_once() {
        let groups = Arc::new(GroupCommit::<usize, usize>::new(3));
        let runs = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..24)
            .map(|j| {
                let (groups, runs) = (groups.clone(), runs.clone());
                thread::spawn(move || {
                    groups.run(
                        j,
                        |jobs| {
                            assert!(jobs.len() <= 3, "a group of {}", jobs.len());
                            runs.fetch_add(jobs.len(), Ordering::SeqCst);
                            thread::sleep(Duration::from_millis(5));
                            done(jobs)
                        },
                        alone,
                        || usize::MAX,
                    )
                })
            })
            .collect();
        let mut answers: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        answers.sort_unstable();
        assert_eq!(answers, (0..24).collect::<Vec<_>>());
        assert_eq!(runs.load(Ordering::SeqCst), 24);
    }

    #[test]
    fn a_group_that_panics_answers_lost_and_passes_the_lead_on() {
        // Given a leader whose group panics while another caller waits
        let groups = Arc::new(GroupCommit::<u8, &'static str>::new(8));
        let waiting = Arc::new(Barrier::new(2));
        let leader = {
            let (groups, waiting) = (groups.clone(), waiting.clone());
            thread::spawn(move || {
                groups.run(
                    1,
                    |_| {
                        waiting.wait();
                        thread::sleep(Duration::from_millis(100));
                        panic!("the group fails")
                    },
                    alone,
                    || "lost",
                )
            })
        };
        let follower = {
            let (groups, waiting) = (groups.clone(), waiting.clone());
            thread::spawn(move || {
                waiting.wait();
                groups.run(2, |_| done(["ran"]), alone, || "lost")
            })
        };
        // then the leader's caller sees the panic, the waiter is led and runs its own
        // group (it arrived after the failing group was taken)
        assert!(leader.join().is_err());
        assert_eq!(follower.join().unwrap(), "ran");
        // and the lead is free for the next caller.
        assert_eq!(groups.run(3, |_| done(["next"]), alone, || "lost"), "next");
    }

    #[test]
    fn a_job_handed_back_runs_in_its_callers_thread_without_holding_the_lead() {
        // Given two callers queued behind a group, whose own group hands its leader's job
        // back (whichever of the two leads) and answers the other
        let groups = Arc::new(GroupCommit::<u8, u8>::new(8));
        let queued = Arc::new(Barrier::new(3));
        let released = Arc::new(Barrier::new(2));
        let first = {
            let (groups, queued) = (groups.clone(), queued.clone());
            thread::spawn(move || {
                let hold = |jobs| {
                    queued.wait();
                    thread::sleep(Duration::from_millis(100));
                    done(jobs)
                };
                groups.run(1, hold, alone, || 0)
            })
        };
        let (answers, answered) = std::sync::mpsc::channel();
        let callers: Vec<_> = [2, 4]
            .into_iter()
            .map(|job| {
                let (groups, queued, released) = (groups.clone(), queued.clone(), released.clone());
                let answers = answers.clone();
                thread::spawn(move || {
                    queued.wait();
                    let hand_back_first = |jobs: Vec<u8>| {
                        let mut ran: Vec<Ran<u8, u8>> = jobs.into_iter().map(Ran::Done).collect();
                        if let Ran::Done(j) = ran[0] {
                            ran[0] = Ran::Alone(j);
                        }
                        ran
                    };
                    let slow = |j| {
                        // Runs alone until the next group has run.
                        released.wait();
                        j * 10
                    };
                    let answer = groups.run(job, hand_back_first, slow, || 0);
                    answers.send(answer).unwrap();
                })
            })
            .collect();
        assert_eq!(first.join().unwrap(), 1);
        let wait = Duration::from_secs(10);
        // when the job answered in the group is answered, and another caller arrives while
        // the handed-back job still runs
        let answered_first = answered.recv_timeout(wait);
        let (finished, next) = std::sync::mpsc::channel();
        let groups_next = groups.clone();
        let next_caller = thread::spawn(move || {
            finished
                .send(groups_next.run(3, done, alone, || 0))
                .unwrap();
        });
        let next_answer = next.recv_timeout(wait);
        released.wait();
        // then the other caller was answered before the handed-back job ran, the next
        // caller led at once, and the handed-back job ran alone in its caller's thread.
        let answered_first = answered_first.expect("the group's answer waited for a job run alone");
        assert_eq!(
            next_answer,
            Ok(3),
            "the next group waited for a job run alone"
        );
        let handed_back = answered.recv_timeout(wait).unwrap();
        let mut both = [answered_first, handed_back];
        both.sort_unstable();
        assert!(both == [2, 40] || both == [4, 20], "{both:?}");
        assert!(
            handed_back >= 20,
            "the job answered in the group came first"
        );
        for caller in callers {
            caller.join().unwrap();
        }
        next_caller.join().unwrap();
    }
}
