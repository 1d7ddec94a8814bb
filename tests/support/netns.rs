//! Two network namespaces joined by one link whose packets can be delayed or dropped: the server
//! runs in one, the console in the other, and the test shapes the link between them.
//!
//! The link is a veth pair shaped with `tc qdisc … netem` when the kernel has netem. Kernels
//! built without it (`CONFIG_NET_SCH_NETEM` unset, as on small VM kernels) get the same link as a
//! pair of TUN devices, one in each namespace, with this process forwarding every IP packet
//! between them after the delay, or dropping it with the loss probability, as netem would. Either
//! way the console's and the server's kernels see real packets late or never: TCP retransmits,
//! connections hang, nothing is refused.
//!
//! Namespace and interface names carry this process's id and a counter, so tests in parallel (and
//! test binaries in parallel) never collide; the /30 subnet is derived from them too (it could not
//! collide anyway: the addresses exist only inside the two namespaces). Everything is removed in
//! `Drop`, also when the test fails. This needs root and iproute2's `ip` (and `tc` for netem):
//! [`unavailable`] says why a test cannot run, and the test prints it and returns.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Why namespaces cannot be made here (not root, no `ip`), or `None` when they can.
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("network namespaces need root (CI runs as root)".into());
    }
    match Command::new("ip").arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(status) if status.success() => None,
        Ok(status) => Some(format!("`ip -V` failed ({status}); install iproute2")),
        Err(err) => Some(format!("no `ip` command ({err}); install iproute2")),
    }
}

/// Which way shaped packets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    Server,
    Console,
    Both,
}

/// What the link does to packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every packet passes at once.
    Clear,
    /// Every packet waits this long (shaped both ways, a round trip takes twice as long).
    Delay(Duration),
    /// This percentage of packets is dropped; 100 is a partition that drops everything and
    /// refuses nothing.
    Loss(u32),
}

/// Runs `command`, failing with its stderr.
fn run(command: &[&str]) -> Result<(), String> {
    let out = Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", command.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({}): {}", command.join(" "), out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// The link between the namespaces.
enum Link {
    /// A veth pair shaped with netem on both ends.
    Veth { server_if: String, console_if: String },
    /// TUN devices with this process between them.
    Relay(Relay),
}

/// The two namespaces and their link. Declare it before the processes that run in it, so they
/// are gone (dropped first) when it is removed.
pub struct Lab {
    pub server_ns: String,
    pub console_ns: String,
    /// The server's address (the console's is the next one).
    pub server_ip: String,
    pub console_ip: String,
    link: Option<Link>,
    made: Vec<String>,
}

impl Lab {
    pub fn new() -> Result<Lab, String> {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        // 16384 /30 subnets of 10.213.0.0/16 would do; the derivation only has to be stable.
        let index = (pid.wrapping_mul(16).wrapping_add(n)) % 16384;
        let base = (index % 64) * 4;
        let third = index / 64;
        let mut lab = Lab {
            server_ns: format!("opsdeck-{pid}-{n}-server"),
            console_ns: format!("opsdeck-{pid}-{n}-console"),
            server_ip: format!("10.213.{third}.{}", base + 1),
            console_ip: format!("10.213.{third}.{}", base + 2),
            link: None,
            made: Vec::new(),
        };
        for ns in [lab.server_ns.clone(), lab.console_ns.clone()] {
            run(&["ip", "netns", "add", &ns])?;
            lab.made.push(ns.clone());
            run(&["ip", "-n", &ns, "link", "set", "lo", "up"])?;
        }
        // Interface names are made in this namespace before they move, so they carry the pid
        // too (at most 15 characters).
        let server_if = format!("od{pid}x{n}s");
        let console_if = format!("od{pid}x{n}c");
        let link = if lab.has_netem() { lab.veth(&server_if, &console_if)? } else { lab.tun(&server_if, &console_if)? };
        lab.link = Some(link);
        Ok(lab)
    }

    /// Whether the kernel can shape with netem (tried on the server namespace's loopback).
    fn has_netem(&self) -> bool {
        let added = run(&["ip", "netns", "exec", &self.server_ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem"]);
        if added.is_ok() {
            let _ = run(&["ip", "netns", "exec", &self.server_ns, "tc", "qdisc", "del", "dev", "lo", "root"]);
        }
        added.is_ok()
    }

    fn veth(&self, server_if: &str, console_if: &str) -> Result<Link, String> {
        run(&["ip", "link", "add", server_if, "type", "veth", "peer", "name", console_if])?;
        // Moved at once: a failure below still removes both with the namespaces.
        let moved = run(&["ip", "link", "set", server_if, "netns", &self.server_ns])
            .and_then(|()| run(&["ip", "link", "set", console_if, "netns", &self.console_ns]));
        if let Err(err) = moved {
            let _ = run(&["ip", "link", "del", server_if]);
            return Err(err);
        }
        for (ns, dev, ip) in
            [(&self.server_ns, server_if, &self.server_ip), (&self.console_ns, console_if, &self.console_ip)]
        {
            run(&["ip", "-n", ns, "addr", "add", &format!("{ip}/30"), "dev", dev])?;
            run(&["ip", "-n", ns, "link", "set", dev, "up"])?;
        }
        Ok(Link::Veth { server_if: server_if.to_string(), console_if: console_if.to_string() })
    }

    fn tun(&self, server_if: &str, console_if: &str) -> Result<Link, String> {
        // The devices live as long as their file descriptors, which go with the relay.
        let server_tun = open_tun(server_if)?;
        let console_tun = open_tun(console_if)?;
        for (ns, dev, ip, peer) in [
            (&self.server_ns, server_if, &self.server_ip, &self.console_ip),
            (&self.console_ns, console_if, &self.console_ip, &self.server_ip),
        ] {
            run(&["ip", "link", "set", dev, "netns", ns])?;
            run(&["ip", "-n", ns, "addr", "add", ip, "peer", peer, "dev", dev])?;
            run(&["ip", "-n", ns, "link", "set", dev, "up"])?;
        }
        Ok(Link::Relay(Relay::start(server_tun, console_tun)?))
    }

    /// How the link is made: `"veth + tc netem"` or `"TUN relay"`.
    pub fn kind(&self) -> &'static str {
        match self.link {
            Some(Link::Veth { .. }) => "veth + tc netem",
            _ => "TUN relay (no netem in this kernel)",
        }
    }

    /// Packets the relay passed and dropped so far (`None` for netem, which tc counts).
    pub fn counts(&self) -> Option<Counts> {
        match &self.link {
            Some(Link::Relay(relay)) => Some(*relay.counts.lock().unwrap_or_else(|p| p.into_inner())),
            _ => None,
        }
    }

    /// Shapes the link in both directions from now on.
    pub fn shape(&self, shape: Shape) -> Result<(), String> {
        self.shape_toward(Toward::Both, shape)
    }

    /// Shapes the packets going `toward` one side (or both) from now on; the other direction
    /// keeps its shape.
    pub fn shape_toward(&self, toward: Toward, shape: Shape) -> Result<(), String> {
        match self.link.as_ref().ok_or("no link")? {
            Link::Veth { server_if, console_if } => {
                // netem shapes what leaves an interface: the server's end carries what goes to
                // the console.
                let ends =
                    [(Toward::Console, &self.server_ns, server_if), (Toward::Server, &self.console_ns, console_if)];
                for (direction, ns, dev) in ends {
                    if toward != Toward::Both && toward != direction {
                        continue;
                    }
                    let tc = ["ip", "netns", "exec", ns.as_str(), "tc", "qdisc"];
                    let dev = ["dev", dev.as_str(), "root"];
                    match shape {
                        // Removing the qdisc, as an operator would; none there is fine too.
                        Shape::Clear => {
                            let _ = run(&[&tc[..], &["del"], &dev[..]].concat());
                        }
                        Shape::Delay(delay) => {
                            let ms = format!("{}ms", delay.as_millis());
                            run(&[&tc[..], &["replace"], &dev[..], &["netem", "delay", &ms]].concat())?;
                        }
                        Shape::Loss(percent) => {
                            let loss = format!("{percent}%");
                            run(&[&tc[..], &["replace"], &dev[..], &["netem", "loss", &loss]].concat())?;
                        }
                    }
                }
                Ok(())
            }
            Link::Relay(relay) => {
                relay.set(toward, shape);
                Ok(())
            }
        }
    }

    /// `ip netns exec <server namespace>`: what starts a program there.
    pub fn in_server(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.server_ns]
    }

    /// `ip netns exec <console namespace>`.
    pub fn in_console(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.console_ns]
    }

    /// Runs `f` on a thread that has entered the server's namespace: sockets it opens reach the
    /// server without crossing the shaped link (the test's view of what the server recorded).
    pub fn beside_server<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let path = format!("/run/netns/{}", self.server_ns);
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let ns = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                    // SAFETY: a valid namespace file descriptor; only this thread changes namespace.
                    let entered = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
                    assert_eq!(entered, 0, "setns {path}: {}", std::io::Error::last_os_error());
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // The relay first (its devices go with its descriptors), then the namespaces, which take
        // the veth pair with them.
        self.link.take();
        for ns in self.made.drain(..).rev() {
            if let Err(err) = run(&["ip", "netns", "del", &ns]) {
                eprintln!("cleaning up: {err}");
            }
        }
    }
}

/// A TUN device named `name` (IP packets, no packet-info header), open for reading and writing.
fn open_tun(name: &str) -> Result<File, String> {
    const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
    #[repr(C)]
    struct IfReq {
        name: [libc::c_char; libc::IFNAMSIZ],
        flags: libc::c_short,
        _pad: [u8; 22],
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .map_err(|e| format!("/dev/net/tun: {e}"))?;
    let mut request =
        IfReq { name: [0; libc::IFNAMSIZ], flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short, _pad: [0; 22] };
    if name.len() >= libc::IFNAMSIZ {
        return Err(format!("interface name {name} is too long"));
    }
    for (slot, byte) in request.name.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `IfReq` lays out.
    let done = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF as _, &mut request) };
    if done != 0 {
        return Err(format!("TUNSETIFF {name}: {}", std::io::Error::last_os_error()));
    }
    Ok(file)
}

/// What the relay counted, for failure messages and reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub passed: u64,
    pub dropped: u64,
}

/// The shape of each direction: toward the console, toward the server.
type Shapes = Mutex<[Shape; 2]>;

struct Relay {
    shape: Arc<Shapes>,
    counts: Arc<Mutex<Counts>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    fn start(server: File, console: File) -> Result<Relay, String> {
        let shape = Arc::new(Mutex::new([Shape::Clear; 2]));
        let counts = Arc::new(Mutex::new(Counts::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, c, halt) = (shape.clone(), counts.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("netns-relay".into())
            .spawn(move || forward(server, console, &s, &c, &halt))
            .map_err(|e| format!("relay thread: {e}"))?;
        Ok(Relay { shape, counts, stop, thread: Some(thread) })
    }

    fn set(&self, toward: Toward, shape: Shape) {
        let mut shapes = self.shape.lock().unwrap_or_else(|p| p.into_inner());
        if toward != Toward::Server {
            shapes[0] = shape;
        }
        if toward != Toward::Console {
            shapes[1] = shape;
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Packets on their way to one side, each with when it may be delivered.
type Queue = VecDeque<(Instant, Vec<u8>)>;

/// Moves packets between the two devices until `stop`: each one read is dropped with the loss
/// probability or queued for the delay in force when it was read (a later, shorter delay does
/// not wait behind it), and written to the other side when due.
fn forward(mut server: File, mut console: File, shape: &Shapes, counts: &Mutex<Counts>, stop: &AtomicBool) {
    let mut to_console: Queue = VecDeque::new();
    let mut to_server: Queue = VecDeque::new();
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        let next_due = to_console.iter().chain(to_server.iter()).map(|(due, _)| *due).min();
        // Wake for the next due packet, and at least every 20 ms to see `stop`.
        let wait = next_due.map_or(Duration::from_millis(20), |due| due.saturating_duration_since(now));
        let wait = wait.min(Duration::from_millis(20));
        let mut fds = [
            libc::pollfd { fd: server.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: console.as_raw_fd(), events: libc::POLLIN, revents: 0 },
        ];
        // SAFETY: two valid pollfd entries.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, wait.as_millis() as libc::c_int) };
        if ready > 0 {
            for (index, fd) in fds.iter().enumerate() {
                if fd.revents & libc::POLLIN == 0 {
                    continue;
                }
                let (from, queue) =
                    if index == 0 { (&mut server, &mut to_console) } else { (&mut console, &mut to_server) };
                let Ok(n) = from.read(&mut buf) else { continue };
                // Read from the server: on its way to the console (shape 0), and the other way.
                let current = shape.lock().unwrap_or_else(|p| p.into_inner())[index];
                let mut tally = counts.lock().unwrap_or_else(|p| p.into_inner());
                let due = match current {
                    Shape::Loss(percent) if rand::random_range(0..100) < percent => {
                        tally.dropped += 1;
                        continue;
                    }
                    Shape::Delay(delay) => Instant::now() + delay,
                    _ => Instant::now(),
                };
                tally.passed += 1;
                queue.push_back((due, buf[..n].to_vec()));
            }
        }
        let now = Instant::now();
        for (queue, to) in [(&mut to_console, &mut console), (&mut to_server, &mut server)] {
            // Due packets in the order they were read; one written to a gone device is lost,
            // as on a wire.
            let mut index = 0;
            while index < queue.len() {
                if queue[index].0 <= now {
                    if let Some((_, packet)) = queue.remove(index) {
                        let _ = to.write(&packet);
                    }
                } else {
                    index += 1;
                }
            }
        }
    }
}
