//! Progress of long commands (seed, bench, backup, verify) on standard error: a bar on
//! a terminal, and where standard error is not one (CI logs, journald, a pipe) a plain
//! line every few seconds and one at the end, so a log shows how far it got without a
//! line per record.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Plain lines at most this often.
const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    label: String,
    /// What is counted: `records`, `bytes`.
    unit: &'static str,
    total: u64,
    done: AtomicU64,
    how: How,
}

enum How {
    Bar(ProgressBar),
    /// When the last line was written, and whether one was.
    Lines(Mutex<(Instant, bool)>),
}

impl Progress {
    /// Counts up to `total` (0: unknown) of `unit`.
    pub fn new(label: impl Into<String>, total: u64, unit: &'static str) -> Progress {
        let label = label.into();
        let how = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = match unit {
                "bytes" => "{msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed}, {eta} left)",
                _ => "{msg} [{bar:30}] {human_pos}/{human_len} ({elapsed}, {eta} left)",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.clone());
            How::Bar(bar)
        } else {
            How::Lines(Mutex::new((Instant::now(), false)))
        };
        Progress {
            label,
            unit,
            total,
            done: AtomicU64::new(0),
            how,
        }
    }

    /// `n` more done.
    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        self.show(done);
    }

    /// `done` in all so far.
    pub fn set(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.show(done);
    }

    fn show(&self, done: u64) {
        match &self.how {
            How::Bar(bar) => bar.set_position(done),
            How::Lines(last) => {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if last.0.elapsed() >= LINE_EVERY {
                    *last = (Instant::now(), true);
                    eprintln!("{}", self.line(done));
                }
            }
        }
    }

    /// Done, at `done` in all: the bar is cleared; after plain lines, a last one (a
    /// command quicker than one line's interval writes none).
    pub fn finish(&self, done: u64) {
        match &self.how {
            How::Bar(bar) => bar.finish_and_clear(),
            How::Lines(last) => {
                if last.lock().unwrap_or_else(|e| e.into_inner()).1 {
                    eprintln!("{}: done, {}", self.label, self.amount(done));
                }
            }
        }
    }

    fn line(&self, done: u64) -> String {
        if self.total == 0 {
            return format!("{}: {}", self.label, self.amount(done));
        }
        let percent = done.min(self.total) * 100 / self.total;
        format!(
            "{}: {} of {} ({percent}%)",
            self.label,
            self.amount(done),
            self.amount(self.total)
        )
    }

    fn amount(&self, n: u64) -> String {
        match self.unit {
            "bytes" => format!("{:.1} MB", n as f64 / 1e6),
            unit => format!("{n} {unit}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_say_how_far() {
        let p = Progress {
            label: "verify t1".into(),
            unit: "records",
            total: 200,
            done: AtomicU64::new(0),
            how: How::Lines(Mutex::new((Instant::now(), false))),
        };
        assert_eq!(p.line(50), "verify t1: 50 records of 200 records (25%)");
        assert_eq!(p.line(500), "verify t1: 500 records of 200 records (100%)");
        let bytes = Progress {
            unit: "bytes",
            total: 0,
            ..p
        };
        assert_eq!(bytes.line(2_500_000), "verify t1: 2.5 MB");
    }
}
