//! How a bulk run shows its progress: a bar on a terminal, plain lines in a
//! log (one every 10 s and one at each rate-limit wait), or nothing. Rates
//! have one decimal; the time left counts the rate-limit waits to come.

use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

use clap::ValueEnum;
use event_invites::artsvp::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Mode {
    /// A bar on a terminal, lines otherwise.
    #[default]
    Auto,
    /// A bar (drawn only on a terminal).
    Bar,
    /// A plain line every 10 seconds and at each rate-limit wait.
    Lines,
    /// No progress at all.
    Off,
}

/// How often `lines` prints when nothing else happens.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Shows a run's progress and its per-row messages.
pub struct Reporter {
    bar: Option<ProgressBar>,
    lines: bool,
    quiet: bool,
    last_line: Option<Instant>,
    waiting: bool,
}

impl Reporter {
    /// A reporter for `total` rows; `quiet` also drops the per-row lines.
    pub fn new(mode: Mode, quiet: bool, total: usize) -> Self {
        let mode = if quiet { Mode::Off } else { mode };
        let terminal = std::io::stderr().is_terminal();
        let (bar, lines) = match mode {
            Mode::Auto if terminal => (true, false),
            Mode::Auto => (false, true),
            Mode::Bar => (true, false),
            Mode::Lines => (false, true),
            Mode::Off => (false, false),
        };
        let bar = bar.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} rows  {msg}") {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            lines,
            quiet,
            last_line: None,
            waiting: false,
        }
    }

    /// A message about one row, above the bar or on standard error.
    pub fn say(&self, line: String) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    /// Updates the bar, or prints a line when one is due: every 10 s, and
    /// when the run starts waiting for the rate-limit window.
    pub fn show(&mut self, p: &Progress) {
        let wait = current_wait(p);
        let starts_waiting = wait.is_some() && !self.waiting;
        self.waiting = wait.is_some();
        if let Some(bar) = &self.bar {
            bar.set_position(p.done as u64);
            bar.set_message(status(p, wait));
            if starts_waiting && bar.is_hidden() {
                eprintln!("{}", line(p, wait));
            }
        }
        if self.lines {
            let due = self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY);
            if starts_waiting || due {
                eprintln!("{}", line(p, wait));
                self.last_line = Some(Instant::now());
            }
        }
    }

    /// Clears the bar; prints a last line in `lines` mode.
    pub fn finish(&self, p: &Progress) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.lines {
            eprintln!("{}", line(p, None));
        }
    }
}

/// The rate-limit wait under way, if it is at least a second.
fn current_wait(p: &Progress) -> Option<Duration> {
    p.waiting_until
        .map(|until| until.saturating_duration_since(Instant::now()))
        .filter(|w| *w >= Duration::from_secs(1))
}

/// `8.5/s, about 1 h 12 min left` or `waiting for the window until 08:18
/// UTC, about 1 h 12 min left`.
fn status(p: &Progress, wait: Option<Duration>) -> String {
    let mut parts = Vec::new();
    match wait {
        Some(wait) => parts.push(format!(
            "waiting for the window until {}",
            clock_time(SystemTime::now() + wait)
        )),
        None => parts.push(format!("{:.1}/s", p.rate)),
    }
    if let Some(eta) = eta(p) {
        parts.push(format!("about {} left", human(eta)));
    }
    parts.join(", ")
}

/// `312/5,000 done, 8.5/s, waiting for the window until 08:18 UTC, about
/// 1 h 12 min left`.
pub fn line(p: &Progress, wait: Option<Duration>) -> String {
    let mut text = format!(
        "{}/{} done, {:.1}/s",
        thousands(p.done),
        thousands(p.total),
        p.rate
    );
    if let Some(wait) = wait {
        text.push_str(&format!(
            ", waiting for the window until {}",
            clock_time(SystemTime::now() + wait)
        ));
    }
    if let Some(eta) = eta(p) {
        text.push_str(&format!(", about {} left", human(eta)));
    }
    text
}

/// The time left, when there is some and it is worth saying.
fn eta(p: &Progress) -> Option<Duration> {
    p.eta()
        .filter(|eta| p.remaining() > 0 && *eta >= Duration::from_secs(1))
}

/// `5,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `45 s`, `12 min`, `1 h 12 min`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// `HH:MM:SS UTC` of a wall-clock time.
pub fn clock_time(at: SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_like_a_person_writes_them() {
        assert_eq!(thousands(5_000), "5,000");
        assert_eq!(thousands(312), "312");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(human(Duration::from_secs(45)), "45 s");
        assert_eq!(human(Duration::from_secs(61)), "2 min");
        assert_eq!(human(Duration::from_secs(4_320)), "1 h 12 min");
        assert_eq!(
            clock_time(std::time::UNIX_EPOCH + Duration::from_secs(29_880)),
            "08:18:00 UTC"
        );
    }
}
