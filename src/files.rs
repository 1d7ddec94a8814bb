//! Reading files that come from outside — named on the command line, in the config file, or
//! typed at a prompt: a token file, the tokens file of `serve`, the config file itself, a
//! postmortem template, an SLA policy, an `.ics` calendar, a drift sample, a draft an editor
//! wrote. Every such read goes through [`read_text`] (or [`read_bytes`]), which reads only
//! regular files and at most a limit per kind of file, and says in one line what was wrong.
//!
//! How a read goes, and why:
//!
//! 1. `stat` the path (following symlinks) and refuse anything but a regular file *before*
//!    opening it: opening a FIFO for reading blocks until a writer comes, so `/tmp/fifo` as a
//!    template would hang the start, and `/dev/zero` or `/dev/urandom` never end.
//! 2. Open with `O_NONBLOCK | O_NOCTTY`: if the path was swapped for a FIFO between the `stat`
//!    and the `open`, the open still returns at once (and a terminal device never becomes the
//!    controlling terminal). On a regular file `O_NONBLOCK` changes nothing.
//! 3. `fstat` the opened handle and check again: what is read is what was checked, whatever
//!    happened to the path meanwhile.
//! 4. Read at most `limit + 1` bytes, so a file that grows after the check (a log being written)
//!    is still bounded, and more than the limit is refused rather than cut.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A token file (`--token-file`, `token_file` in the config): a token is a line of tens of
/// characters, so a few KB leave room for a trailing newline or a comment, and nothing more.
pub const TOKEN_LIMIT: u64 = 4 * KB;
/// The tokens file of `opsdeck serve --tokens`: a user takes about 100 bytes; 1 MB is some
/// ten thousand users.
pub const TOKENS_FILE_LIMIT: u64 = MB;
/// `config.toml`: a hand-written file of a few KB.
pub const CONFIG_LIMIT: u64 = MB;
/// A postmortem template (the built-in one is about 3 KB).
pub const TEMPLATE_LIMIT: u64 = MB;
/// An SLA policy file (the built-in one is about 2 KB).
pub const POLICY_LIMIT: u64 = MB;
/// An `.ics` file for `calendar import`: calendars exported with years of history and
/// attachments reach a few MB; 32 MB is room to spare.
pub const CALENDAR_LIMIT: u64 = 32 * MB;
/// A sample of `drift compare`: one value per line, so 64 MB is some five million values.
pub const SAMPLE_LIMIT: u64 = 64 * MB;
/// A postmortem draft an editor or another program wrote (a body is at most 200 000
/// characters, up to 800 KB of UTF-8).
pub const DRAFT_LIMIT: u64 = 4 * MB;

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;

/// Why an outside file was not read. Each names the file; shown, each is one line.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, a device, a directory or a socket where a file was meant.
    #[error("{} is not a regular file ({kind})", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    /// Larger than the limit for its kind; `size` is `None` when it grew while being read.
    #[error("{}", too_large(path, *size, *limit))]
    TooLarge { path: PathBuf, size: Option<u64>, limit: u64 },
    #[error("{} is not UTF-8 text ({source})", path.display())]
    NotUtf8 { path: PathBuf, source: std::string::FromUtf8Error },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl ReadError {
    /// The file is not there (a missing config file means the defaults, for one).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// What is wrong, for a message that names the file already (`<path>: <problem>`).
    pub fn problem(&self) -> String {
        match self {
            ReadError::NotRegular { kind, .. } => format!("not a regular file ({kind})"),
            ReadError::TooLarge { size: Some(size), limit, .. } => match (Size(*size), Size(*limit)) {
                (s, l) if s.to_string() == l.to_string() => {
                    format!("too large ({size} bytes; the limit is {limit} bytes)")
                }
                (s, l) => format!("too large ({s}; the limit is {l})"),
            },
            ReadError::TooLarge { size: None, limit, .. } => {
                format!("too large (more than the limit of {})", Size(*limit))
            }
            ReadError::NotUtf8 { source, .. } => format!("not UTF-8 text ({source})"),
            ReadError::Io { source, .. } => source.to_string(),
        }
    }

    /// The message with what the file is for in front: `the token file /dev/zero is not a regular
    /// file (a character device)`, `cannot read the token file /x: No such file or directory`.
    /// With `what` empty, just the file: `cannot read /x: …`, `/dev/zero is not …`.
    pub fn describe(&self, what: &str) -> String {
        let what = if what.is_empty() { String::new() } else { format!("{what} ") };
        match self {
            ReadError::Io { .. } => format!("cannot read {what}{self}"),
            _ => format!("{what}{self}"),
        }
    }
}

fn too_large(path: &Path, size: Option<u64>, limit: u64) -> String {
    match size {
        // Just over the limit, rounded sizes would read alike: say the bytes.
        Some(size) if Size(size).to_string() == Size(limit).to_string() => {
            format!("{} is {size} bytes; the limit is {limit} bytes", path.display())
        }
        Some(size) => format!("{} is {}; the limit is {}", path.display(), Size(size), Size(limit)),
        None => format!("{} is larger than the limit of {}", path.display(), Size(limit)),
    }
}

/// A size as people say it: `512 bytes`, `4 KB`, `3.2 GB` (powers of 1024).
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [("TB", MB * MB), ("GB", MB * KB), ("MB", MB), ("KB", KB)];
        let Some((unit, scale)) = units.into_iter().find(|(_, scale)| self.0 >= *scale) else {
            return write!(f, "{} bytes", self.0);
        };
        let tenths = (self.0 as u128 * 10 / scale as u128) as u64;
        match tenths % 10 {
            0 => write!(f, "{} {unit}", tenths / 10),
            d => write!(f, "{}.{d} {unit}", tenths / 10),
        }
    }
}

/// The UTF-8 text of the regular file `path`, at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|source| ReadError::NotUtf8 { path: path.to_path_buf(), source })
}

/// The bytes of the regular file `path`, at most `limit` of them (see the module doc for how).
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    check(path, &std::fs::metadata(path).map_err(io)?, limit)?;
    let (file, len) = open_checked(path, limit)?;
    let mut bytes = Vec::with_capacity(len.min(limit) as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { path: path.to_path_buf(), size: None, limit });
    }
    Ok(bytes)
}

/// Steps 2 and 3: opens `path` without blocking whatever it has become since it was checked,
/// and checks the handle; the file and its size.
fn open_checked(path: &Path, limit: u64) -> Result<(File, u64), ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    check(path, &meta, limit)?;
    Ok((file, meta.len()))
}

/// A regular file no larger than `limit`, or why not.
fn check(path: &Path, meta: &Metadata, limit: u64) -> Result<(), ReadError> {
    let kind = meta.file_type();
    let not = |kind| Err(ReadError::NotRegular { path: path.to_path_buf(), kind });
    if kind.is_dir() {
        return not("a directory");
    }
    if kind.is_fifo() {
        return not("a FIFO");
    }
    if kind.is_char_device() {
        return not("a character device");
    }
    if kind.is_block_device() {
        return not("a block device");
    }
    if kind.is_socket() {
        return not("a socket");
    }
    if !kind.is_file() {
        return not("not a file");
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { path: path.to_path_buf(), size: Some(meta.len()), limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
