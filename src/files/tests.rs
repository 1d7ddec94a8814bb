use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::sync::mpsc;
use std::time::Duration;

use super::*;

/// Longer than any of these reads takes; a read that hangs fails the test instead of the run.
const BOUND: Duration = Duration::from_secs(10);

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// Runs `f` on a thread and waits for it at most [`BOUND`].
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(BOUND).expect("the read returned instead of hanging")
}

#[test]
fn a_regular_file_within_its_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "tok-123\n").unwrap();
    assert_eq!(read_text(&path, TOKEN_LIMIT).unwrap(), "tok-123\n");
    assert_eq!(read_text(&path, 8).unwrap(), "tok-123\n", "exactly the limit is allowed");
}

#[test]
fn endless_devices_are_refused_before_reading() {
    for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
        let message = bounded(move || read_text(Path::new(device), TOKEN_LIMIT).unwrap_err().to_string());
        assert_eq!(message, format!("{device} is not a regular file (a character device)"));
    }
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.md");
    mkfifo(&path);
    let shown = path.display().to_string();
    let message = bounded(move || read_text(&path, TEMPLATE_LIMIT).unwrap_err().to_string());
    assert_eq!(message, format!("{shown} is not a regular file (a FIFO)"));
}

#[test]
fn a_path_swapped_for_a_fifo_after_the_check_still_opens_at_once_and_is_refused() {
    // What the open would meet if the path became a FIFO between stat and open.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    mkfifo(&path);
    let error = bounded(move || open_checked(&path, POLICY_LIMIT).map(|_| ()).unwrap_err());
    assert!(matches!(error, ReadError::NotRegular { kind: "a FIFO", .. }), "{error}");
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let message = read_text(dir.path(), CONFIG_LIMIT).unwrap_err().to_string();
    assert_eq!(message, format!("{} is not a regular file (a directory)", dir.path().display()));
}

#[test]
fn a_socket_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let message = bounded(move || read_text(&path, CONFIG_LIMIT).unwrap_err().to_string());
    assert!(message.ends_with("is not a regular file (a socket)"), "{message}");
}

#[test]
fn a_file_over_its_limit_is_refused_with_both_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.md");
    // Sparse: 3.2 GB on paper, nothing on disk.
    std::fs::File::create(&path).unwrap().set_len(3_435_973_837).unwrap();
    let message = read_text(&path, TEMPLATE_LIMIT).unwrap_err().to_string();
    assert_eq!(message, format!("{} is 3.2 GB; the limit is 1 MB", path.display()));
    std::fs::File::create(&path).unwrap().set_len(TOKEN_LIMIT + 1).unwrap();
    let message = read_text(&path, TOKEN_LIMIT).unwrap_err().to_string();
    assert_eq!(message, format!("{} is 4097 bytes; the limit is 4096 bytes", path.display()));
}

#[test]
fn a_file_longer_than_it_says_is_still_bounded() {
    // Files under /proc report a size of 0 and hold more: only the read itself can tell.
    let error = read_bytes(Path::new("/proc/self/status"), 16).unwrap_err();
    assert_eq!(error.to_string(), "/proc/self/status is larger than the limit of 16 bytes");
}

#[test]
fn a_missing_file_says_so_and_counts_as_not_found() {
    let error = read_text(Path::new("/nonexistent/opsdeck.toml"), CONFIG_LIMIT).unwrap_err();
    assert!(error.is_not_found());
    assert!(error.to_string().starts_with("/nonexistent/opsdeck.toml: "), "{error}");
}

#[test]
fn text_must_be_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.ics");
    std::fs::write(&path, b"BEGIN:\xff\n").unwrap();
    let message = read_text(&path, CALENDAR_LIMIT).unwrap_err().to_string();
    assert!(message.starts_with(&format!("{} is not UTF-8 text", path.display())), "{message}");
}

#[test]
fn sizes_read_the_way_people_say_them() {
    assert_eq!(Size(512).to_string(), "512 bytes");
    assert_eq!(Size(4 * KB).to_string(), "4 KB");
    assert_eq!(Size(1536).to_string(), "1.5 KB");
    assert_eq!(Size(32 * MB).to_string(), "32 MB");
    assert_eq!(Size(3_435_973_837).to_string(), "3.2 GB");
}
