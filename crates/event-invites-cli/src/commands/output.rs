//! How guest lists and stats are printed: a table for people, CSV or JSON
//! for programs, to standard output or a file.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use event_invites::GuestRow;
use event_invites::securegate::InviteStats;

/// Output format and destination.
#[derive(Debug, Args)]
pub struct Output {
    /// How to print the rows.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

impl Output {
    pub fn write(&self, rows: &[GuestRow]) -> Result<(), String> {
        let mut bytes = Vec::new();
        match self.format {
            Format::Table => table(&mut bytes, rows),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(&mut bytes);
                if rows.is_empty() {
                    writer
                        .write_record(GuestRow::COLUMNS)
                        .map_err(|e| e.to_string())?;
                }
                for row in rows {
                    writer.serialize(row).map_err(|e| e.to_string())?;
                }
                writer.flush().map_err(|e| e.to_string())?;
            }
            Format::Json => {
                serde_json::to_writer_pretty(&mut bytes, rows).map_err(|e| e.to_string())?;
                bytes.push(b'\n');
            }
        }
        match &self.output {
            Some(path) => std::fs::write(path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display())),
            None => std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| format!("cannot write to standard output: {e}")),
        }
    }
}

fn table(out: &mut Vec<u8>, rows: &[GuestRow]) {
    let cells: Vec<[String; 6]> = rows.iter().map(GuestRow::cells).collect();
    print_table(out, &GuestRow::COLUMNS, &cells);
    let _ = writeln!(out, "{} guest(s)", rows.len());
}

/// Rows under headers, columns padded to their widest cell.
pub fn print_table<const N: usize>(out: &mut Vec<u8>, headers: &[&str; N], rows: &[[String; N]]) {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(headers.to_vec());
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(rules.iter().map(String::as_str).collect());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

pub fn stats(prefix: &str, event: &str, stats: &InviteStats) {
    let percent = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{:.1}%", r * 100.0));
    let mut out = Vec::new();
    let _ = writeln!(out, "{prefix}SecureGate event {event}");
    print_table(
        &mut out,
        &[
            "total",
            "pending",
            "sent",
            "accepted",
            "rejected",
            "other",
            "response rate",
            "acceptance rate",
        ],
        &[[
            stats.total.to_string(),
            stats.pending.to_string(),
            stats.sent.to_string(),
            stats.accepted.to_string(),
            stats.rejected.to_string(),
            stats.other.to_string(),
            percent(stats.response_rate()),
            percent(stats.acceptance_rate()),
        ]],
    );
    let _ = std::io::stdout().write_all(&out);
}

/// `quota`: a key's shared quota, one fact a line.
pub fn quota(prefix: &str, usage: &event_invites::QuotaUsage) {
    let seconds = |d: std::time::Duration| format!("{:.1} s", d.as_secs_f64());
    println!("{prefix}store        {}", usage.store);
    println!("bucket       {}", usage.bucket);
    match usage.quota {
        Some(q) => println!("quota        {} per {}", q.limit, seconds(q.window)),
        None => println!("quota        none (paced by the server's headers only)"),
    }
    if let (Some(quota), Some(left)) = (usage.quota, usage.left) {
        println!(
            "used         {} (left {left})",
            u64::from(quota.limit).saturating_sub(left)
        );
    }
    if let Some(full) = usage.full_in {
        println!("refills in   {}", seconds(full));
    }
    if let Some(limit) = usage.server_limit {
        println!("server limit {limit}");
    }
    if let Some(left) = usage.server_remaining {
        println!("server left  {left} in its window");
    }
    if let Some(blocked) = usage.blocked_for {
        println!("held back    {} (a 429's Retry-After)", seconds(blocked));
    }
    if !usage.shared {
        println!("note         the store failed: this process paced alone");
    }
}
