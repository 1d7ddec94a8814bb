//! `opsdeck drift compare`: the drift statistics from the command line, on two files of one
//! value per line. The only part of drift that reads files; [`compare_contents`] is the same
//! report on contents already read.
//!
//! Mistakes (a missing or empty file, a line that is not a number, NaN or infinity, a FIFO or
//! device, a file over the limit) print one line naming the file and line on stderr and exit with
//! status 2. Files are read bounded, from regular files only; what is printed is sanitised.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use crate::cli::output;
use crate::domain::drift::{self, Binning};
use crate::domain::text::{sanitize, truncate};
use crate::files;

#[derive(Debug, clap::Subcommand)]
pub enum DriftCommand {
    /// Compare a current sample with a reference sample: KS, PSI, Jensen–Shannon and
    /// Wasserstein for numbers; χ², PSI and Jensen–Shannon for categories.
    Compare(CompareArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BinningArg {
    /// Inner edges at min + k·(max−min)/B of the reference.
    EqualWidth,
    /// Inner edges at the reference's quantiles (linear interpolation).
    Quantile,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The reference sample: one value per line (blank lines are skipped).
    #[arg(long, value_name = "FILE")]
    pub reference: PathBuf,
    /// The current sample, same format.
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,
    /// The values are categories (intent, language, topic), not numbers.
    #[arg(long)]
    pub categorical: bool,
    /// Bins for PSI and Jensen–Shannon on numbers.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub bins: usize,
    /// How the bins are cut from the reference.
    #[arg(long, value_enum, default_value_t = BinningArg::EqualWidth)]
    pub binning: BinningArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs an `opsdeck drift` subcommand: 0 on success, 2 on any mistake in the input.
pub fn run(command: DriftCommand) -> ExitCode {
    let DriftCommand::Compare(args) = command;
    match compare(&args) {
        Ok(output) => {
            println!("{}", output::text(&output));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("opsdeck drift compare: {}", output::line(&message));
            ExitCode::from(2)
        }
    }
}

/// The report for `args`, as text or JSON.
pub fn compare(args: &CompareArgs) -> Result<String, String> {
    let reference = read_file(&args.reference)?;
    let current = read_file(&args.current)?;
    compare_contents(args, &reference, &current)
}

/// The report for `args` on the two files' contents, already read (messages still name the
/// files of `args`). Never panics, whatever the bytes.
pub fn compare_contents(args: &CompareArgs, reference: &[u8], current: &[u8]) -> Result<String, String> {
    if args.bins < 2 || args.bins > 1000 {
        return Err(format!("--bins must be between 2 and 1000, not {}", args.bins));
    }
    let binning = match args.binning {
        BinningArg::EqualWidth => Binning::EqualWidth,
        BinningArg::Quantile => Binning::Quantile,
    };
    if args.categorical {
        let reference = read_lines(&args.reference, reference)?;
        let current = read_lines(&args.current, current)?;
        let (r, c): (Vec<&str>, Vec<&str>) =
            (reference.iter().map(|(_, v)| v.as_str()).collect(), current.iter().map(|(_, v)| v.as_str()).collect());
        let chi2 = drift::chi2_categorical(&r, &c).map_err(|e| e.to_string())?;
        let psi = drift::psi_categorical(&r, &c).map_err(|e| e.to_string())?;
        let js = drift::js_categorical(&r, &c, None).map_err(|e| e.to_string())?;
        if args.json {
            let value = json!({
                "chi2": { "statistic": chi2.statistic, "pvalue": chi2.pvalue, "dof": chi2.dof },
                "psi": psi,
                "js_distance": js,
            });
            return Ok(value.to_string());
        }
        return Ok(format!(
            "chi2         {:.6}  p = {:.6e}  dof = {}\npsi          {:.6}\njs_distance  {:.6}",
            chi2.statistic, chi2.pvalue, chi2.dof, psi, js
        ));
    }
    let reference = read_numbers(&args.reference, reference)?;
    let current = read_numbers(&args.current, current)?;
    let ks = drift::ks_2samp(&reference, &current).map_err(|e| e.to_string())?;
    let psi = drift::psi(&reference, &current, args.bins, binning).map_err(|e| e.to_string())?;
    let js = drift::js_distance(&reference, &current, args.bins, binning, None).map_err(|e| e.to_string())?;
    let wasserstein = drift::wasserstein_distance(&reference, &current).map_err(|e| e.to_string())?;
    if args.json {
        let value = json!({
            "ks": { "statistic": ks.statistic, "pvalue": ks.pvalue },
            "psi": psi.value,
            "js_distance": js,
            "wasserstein": wasserstein,
        });
        return Ok(value.to_string());
    }
    Ok(format!(
        "ks           D = {:.6}  p = {:.6e}\npsi          {:.6}\njs_distance  {:.6}\nwasserstein  {:.6}",
        ks.statistic, ks.pvalue, psi.value, js, wasserstein
    ))
}

/// The bytes of a sample file: a regular file of at most [`files::SAMPLE_LIMIT`].
fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    files::read_bytes(path, files::SAMPLE_LIMIT).map_err(|e| e.describe(""))
}

/// The non-blank lines of the file at `path`, whose content is `text`, trimmed, with their
/// 1-based line numbers.
fn read_lines(path: &Path, text: &[u8]) -> Result<Vec<(usize, String)>, String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("{} is not UTF-8 text ({e})", path.display()))?;
    let lines: Vec<(usize, String)> =
        text.lines().enumerate().map(|(i, l)| (i + 1, l.trim().to_string())).filter(|(_, l)| !l.is_empty()).collect();
    if lines.is_empty() {
        return Err(format!("{}: holds no values (one value per line expected)", path.display()));
    }
    Ok(lines)
}

/// The numbers of a file, one per line; anything else is refused with its line.
fn read_numbers(path: &Path, text: &[u8]) -> Result<Vec<f64>, String> {
    read_lines(path, text)?
        .into_iter()
        .map(|(line, text)| {
            let shown = || truncate(&sanitize(&text), 40).into_owned();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                Ok(_) => Err(format!("{} line {line}: `{}` is not a finite number", path.display(), shown())),
                Err(_) => Err(format!("{} line {line}: `{}` is not a number", path.display(), shown())),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn numbers(path: &Path) -> Result<Vec<f64>, String> {
        read_numbers(path, &read_file(path)?)
    }

    #[test]
    fn bad_files_name_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("a", "1.5\n\n2\nabc\n", "a line 4: `abc` is not a number"),
            ("b", "1\nNaN\n", "b line 2: `NaN` is not a finite number"),
            ("c", "1\n-inf\n", "c line 2: `-inf` is not a finite number"),
            ("d", "\n  \n", "d: holds no values"),
        ];
        for (name, text, expected) in cases {
            let path = file(&dir, name, text);
            let err = numbers(&path).unwrap_err();
            assert!(err.ends_with(expected) || err.contains(expected), "{err}");
        }
        let missing = numbers(&dir.path().join("missing")).unwrap_err();
        assert!(missing.contains("missing"), "{missing}");
        assert_eq!(numbers(&file(&dir, "ok", " 1\n2.5e3\n\n-4\n")).unwrap(), vec![1.0, 2500.0, -4.0]);
    }

    #[test]
    fn hostile_lines_are_shown_inert_and_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, "x", &format!("\u{1b}]52;c;ZXZpbA==\u{7}{}\n", "9".repeat(100) + "x"));
        let err = numbers(&path).unwrap_err();
        assert!(!err.contains('\u{1b}'), "{err:?}");
        assert!(err.chars().count() < 120, "{err}");
    }
}
