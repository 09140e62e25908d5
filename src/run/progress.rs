//! Progress of a long run: a bar on a terminal, and otherwise a line at every tenth of the
//! work (with the time left at the current pace), so logs of batch jobs show that a run moves.
//! Lines start once a run has taken a second, so short runs stay quiet.
//! `ACTLAB_PROGRESS=bar|lines|none` overrides the choice (`lines` prints from the start).

use std::{
    io::IsTerminal,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    lines: Option<Lines>,
}

struct Lines {
    name: String,
    unit: &'static str,
    total: u64,
    done: AtomicU64,
    /// The next tenth to report.
    next: Mutex<u64>,
    started: Instant,
    /// Lines are printed once the run has taken this long.
    quiet_for: f64,
}

impl Progress {
    /// Progress over `total` steps of `unit` (e.g. "epochs"): a bar when stderr is a terminal
    /// and `visible`, report lines when it is not, nothing when `visible` is false and stderr
    /// is a terminal either way.
    pub fn new(name: &str, unit: &'static str, total: u64, visible: bool) -> Self {
        let forced = std::env::var("ACTLAB_PROGRESS").ok();
        match forced.as_deref() {
            Some("none") => return Self::hidden(),
            _ if !visible => return Self::hidden(),
            _ => {}
        }
        let bar = match forced.as_deref() {
            Some("bar") => true,
            Some("lines") => false,
            _ => std::io::stderr().is_terminal(),
        };
        if bar {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix}} [{{bar:30}}] {unit} {{pos}}/{{len}} {{elapsed_precise}} eta {{eta}}"
                ))
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(name.to_string());
            return Self {
                bar: Some(bar),
                lines: None,
            };
        }
        Self {
            bar: None,
            lines: Some(Lines {
                name: name.into(),
                unit,
                total: total.max(1),
                done: AtomicU64::new(0),
                next: Mutex::new(1),
                started: Instant::now(),
                quiet_for: if forced.as_deref() == Some("lines") {
                    0.0
                } else {
                    1.0
                },
            }),
        }
    }

    pub fn hidden() -> Self {
        Self {
            bar: None,
            lines: None,
        }
    }

    pub fn inc(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(steps);
        }
        if let Some(lines) = &self.lines {
            lines.advance(steps);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Lines {
    fn advance(&self, steps: u64) {
        let done = self.done.fetch_add(steps, Ordering::SeqCst) + steps;
        let tenth = done * 10 / self.total;
        let Ok(mut next) = self.next.lock() else {
            return;
        };
        let elapsed = self.started.elapsed().as_secs_f64();
        if tenth < *next || elapsed < self.quiet_for {
            return;
        }
        *next = tenth + 1;
        let left = elapsed * (self.total.saturating_sub(done)) as f64 / done.max(1) as f64;
        eprintln!(
            "{}: {}% ({done}/{} {}), {elapsed:.1} s elapsed, about {left:.0} s left",
            self.name,
            tenth * 10,
            self.total,
            self.unit
        );
    }
}
