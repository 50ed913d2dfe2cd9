//! Progress of a training loop. On a terminal: an indicatif bar, with warnings printed above it.
//! When stderr is a file (a run in the background, a CI log), indicatif draws nothing and drops
//! what is printed through the bar; there each epoch or checkpoint summary and each warning
//! becomes one plain line instead, so such runs show their progress and their warnings too.

use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Progress {
    bar: ProgressBar,
    /// Write plain lines: progress was asked for but the bar cannot be drawn.
    lines: bool,
}

impl Progress {
    /// A bar of `len` steps labelled `prefix`, or nothing at all when `shown` is false.
    pub fn new(len: u64, prefix: &str, shown: bool) -> Self {
        if !shown {
            return Self { bar: ProgressBar::hidden(), lines: false };
        }
        let bar = ProgressBar::new(len);
        bar.set_style(ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}").expect("valid template"));
        bar.set_prefix(prefix.to_string());
        let lines = bar.is_hidden();
        Self { bar, lines }
    }

    pub fn inc(&self, steps: u64) {
        self.bar.inc(steps);
    }

    pub fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }

    /// Steps done and seconds since the bar started.
    pub fn position_and_seconds(&self) -> (u64, f64) {
        (self.bar.position(), self.bar.elapsed().as_secs_f64())
    }

    /// A warning: above the bar on a terminal, a plain line otherwise (nothing when not shown).
    pub fn warn(&self, line: String) {
        if self.lines {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// A summary of a finished epoch or checkpoint, as a plain line where no bar is drawn (the
    /// bar's message shows it on a terminal).
    pub fn summary(&self, line: impl FnOnce() -> String) {
        if self.lines {
            eprintln!("{}", line());
        }
    }

    pub fn abandon(&self) {
        self.bar.abandon();
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
