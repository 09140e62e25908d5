//! Helper threads for one large matrix product: the caller computes part 0 and each helper
//! one further part, then the caller waits for them.
//!
//! Written by hand rather than on rayon because a training step is a chain of products of a
//! few hundred microseconds with other operations between them: rayon's workers fall asleep in
//! those gaps and each product then pays for waking them, which made products on 2 threads
//! slower than on one (BENCHMARKS.md). These helpers spin for a short while after each part
//! before they park, so the next product finds them awake. They serve only callers outside a
//! rayon pool: where programs already run side by side, one per core, products stay on their
//! own thread.

use std::{
    cell::UnsafeCell,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        OnceLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread::{self, Thread},
    time::{Duration, Instant},
};

/// How long a helper stays awake for the next part before it parks.
const SPIN: Duration = Duration::from_micros(300);

/// The most helpers: beyond a few threads per product the parts get too small to pay.
const MOST: usize = 7;

/// A part to run: `f(part)` for `part` in `1..=helpers`.
type Part = &'static (dyn Fn(usize) + Sync);

struct Helpers {
    /// How many helper threads serve.
    count: usize,
    /// Their handles, to unpark them (set once they are started).
    threads: OnceLock<Vec<Thread>>,
    /// Whether a caller holds the helpers.
    held: AtomicBool,
    /// The generation of the posted job; a helper runs each generation once.
    posted: AtomicUsize,
    /// Parts finished in the current generation.
    finished: AtomicUsize,
    /// A helper's part panicked.
    panicked: AtomicBool,
    job: UnsafeCell<Option<Part>>,
}

// SAFETY: `job` is written only by the caller that holds `held`, before it publishes the
// generation (release), and read by helpers after they observe it (acquire).
unsafe impl Sync for Helpers {}

fn helpers() -> Option<&'static Helpers> {
    static HELPERS: OnceLock<Option<&'static Helpers>> = OnceLock::new();
    *HELPERS.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, usize::from);
        let count = cores.saturating_sub(1).min(MOST);
        if count == 0 {
            return None;
        }
        let helpers: &'static Helpers = Box::leak(Box::new(Helpers {
            count,
            threads: OnceLock::new(),
            held: AtomicBool::new(false),
            posted: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            job: UnsafeCell::new(None),
        }));
        let mut threads = Vec::with_capacity(count);
        for index in 1..=count {
            let spawned = thread::Builder::new()
                .name(format!("actlab-product-{index}"))
                .spawn(move || serve(helpers, index));
            match spawned {
                Ok(handle) => threads.push(handle.thread().clone()),
                Err(_) => return None,
            }
        }
        helpers.threads.set(threads).ok()?;
        Some(helpers)
    })
}

/// A helper's loop: wait for a new generation, run its part, count it finished.
fn serve(helpers: &'static Helpers, index: usize) {
    let mut seen = 0;
    loop {
        let started = Instant::now();
        let generation = loop {
            let generation = helpers.posted.load(Ordering::Acquire);
            if generation != seen {
                break generation;
            }
            if started.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                thread::park_timeout(Duration::from_millis(100));
            }
        };
        seen = generation;
        // SAFETY: published before `posted` (see `Helpers`).
        let job = unsafe { *helpers.job.get() };
        if let Some(job) = job
            && catch_unwind(AssertUnwindSafe(|| job(index))).is_err()
        {
            helpers.panicked.store(true, Ordering::Relaxed);
        }
        helpers.finished.fetch_add(1, Ordering::Release);
    }
}

/// How many parts a product may be split into here: 1 plus the helpers, or 1 inside a rayon
/// pool, on one core, or while another caller holds the helpers.
pub fn parts() -> usize {
    if rayon::current_thread_index().is_some() {
        return 1;
    }
    helpers().map_or(1, |h| 1 + h.count)
}

/// Runs `f(0)` here and `f(1) .. f(parts - 1)` on the helpers, and returns once all are done;
/// runs them all here when the helpers are held by another caller. `parts` is at most
/// [`parts()`].
pub fn split(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let Some(helpers) = helpers().filter(|_| parts > 1) else {
        (0..parts).for_each(f);
        return;
    };
    if helpers
        .held
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        (0..parts).for_each(f);
        return;
    }
    let used = (parts - 1).min(helpers.count);
    // Helpers past `used` run an empty part.
    let job = move |part: usize| {
        if part <= used {
            f(part)
        }
    };
    let job: &(dyn Fn(usize) + Sync) = &job;
    // SAFETY: the reference outlives its use: this function does not return before every
    // helper has counted its part finished, and the slot is cleared before `held` is released.
    let job: Part = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Part>(job) };
    unsafe { *helpers.job.get() = Some(job) };
    helpers.finished.store(0, Ordering::Relaxed);
    helpers.posted.fetch_add(1, Ordering::Release);
    helpers
        .threads
        .get()
        .into_iter()
        .flatten()
        .for_each(Thread::unpark);
    let mine = catch_unwind(AssertUnwindSafe(|| f(0)));
    while helpers.finished.load(Ordering::Acquire) < helpers.count {
        std::hint::spin_loop();
    }
    unsafe { *helpers.job.get() = None };
    let theirs = helpers.panicked.swap(false, Ordering::Relaxed);
    helpers.held.store(false, Ordering::Release);
    if let Err(payload) = mine {
        std::panic::resume_unwind(payload);
    }
    assert!(
        !theirs,
        "a part of a matrix product panicked on a helper thread"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_part_runs_once_and_the_call_waits_for_them() {
        for _ in 0..200 {
            let parts = parts().max(2);
            let seen = Mutex::new(vec![0; parts]);
            split(parts, &|part| seen.lock().unwrap()[part] += 1);
            assert_eq!(*seen.lock().unwrap(), vec![1; parts]);
        }
    }

    #[test]
    fn inside_a_rayon_pool_products_stay_on_their_thread() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        assert_eq!(pool.install(parts), 1);
    }
}
