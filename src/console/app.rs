//! The console's run loop: first frame from the cache, then events → update → effects, and a
//! draw only when something changed (at most one every 10 ms, inside a synchronized update; the
//! answer to a key at once).
//! A turn works at most [`TURN`] before it draws, the user's keys and signals ahead of queued
//! background work (`console::turns`); each sync report taken is acknowledged to the poller,
//! which sends a page's reports only once the last page's are taken.
//!
//! The first frame reads only what the first screen shows (the first incidents, nothing counted
//! over the whole cache); the counts, the first tickets and then the rest are read after it.
//!
//! Nothing here waits for the network before the first frame. The backend (or the in-process
//! demo server) is connected after it, and sync reports back through the event channel.
//!
//! Neither file can keep the console from starting: a damaged cache is moved aside and synced
//! anew, a damaged work file is moved aside and an empty one started, an unwritable one is
//! worked around (`crate::cache`); what was done is said on screen. What is still not on disk
//! and not sent when the console ends is written to standard error and the log.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use tokio::sync::mpsc;

use crate::api::{Me, Role};
use crate::backend::Backend;
use crate::backend::http::HttpBackend;
use crate::cache::{Cache, CacheSnapshot, Work};
use crate::config::{Config, Secret};
use crate::console::effect::{EffectRunner, Flow, Screen, Stores};
use crate::console::event::{Event, EventSender};
use crate::console::input::{Input, spawn_terminal_events};
use crate::console::state::{AppState, Environment, Session};
use crate::console::terminal;
use crate::console::zone::SystemZone;
use crate::db::DbLocation;
use crate::server::{self, RunningServer, ServeOptions, auth::Users};
use crate::sources::simulator;

/// Incidents read from the cache for the first frame (tickets are not on the first screen: as
/// many are read right after it); the rest loads after them.
pub const FIRST_FRAME_ROWS: u32 = 300;
/// Rows read from the cache at a time after the first frame: one page of documents in memory.
const LOAD_PAGE: u32 = 20_000;

/// What the first frame did not read of the cache, loaded after it.
#[derive(Clone, Copy)]
struct FullLoad {
    /// The first frame did not count the cache: counted first.
    counts: bool,
    incidents: bool,
    tickets: bool,
}
/// Draw at most this often.
const FRAME: Duration = Duration::from_millis(10);
/// The work one turn of the loop does before it draws (what is left goes on in the next turn).
const TURN: Duration = Duration::from_millis(8);
/// How long quitting waits for cache writes in progress.
const EXIT_FLUSH: Duration = Duration::from_secs(3);

pub enum BackendChoice {
    /// Run the reference server in-process with the simulator.
    Demo {
        seed: u64,
    },
    Remote {
        url: String,
        token: Option<Secret>,
    },
    /// Run the reference server in-process with the config's `[[sources]]` (checked and built
    /// by the same code as `opsdeck serve --config`), its database in `db`.
    Local {
        sources: Vec<crate::sources::config::SourceSpec>,
        db: PathBuf,
    },
}

pub struct ConsoleOptions {
    pub config: Config,
    pub config_path: PathBuf,
    pub backend: BackendChoice,
    pub cache: DbLocation,
    /// The user's own work (outbox, drafts): `<data dir>/work/<backend>.sqlite`.
    pub work: DbLocation,
    pub read_only: bool,
    /// What the terminal can show (from TERM, COLORTERM and NO_COLOR).
    pub terminal: crate::console::theme::TermCaps,
    /// Where postmortem drafts are exported and handed to `$EDITOR`.
    pub drafts_dir: PathBuf,
}

/// The demo user: the login name, cleaned, or `you`.
fn demo_user() -> String {
    let name: String = std::env::var("USER")
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    if name.is_empty() { "you".to_string() } else { name }
}

pub async fn run(options: ConsoleOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let (tx, rx) = mpsc::unbounded_channel();
    let (cache, work, snapshot, notices) = open_stores(&options.cache, &options.work).await;
    for store in [&cache.location(), &work.location()] {
        tracing::debug!(file = %store.describe(), "opened");
    }
    let sink: crate::cache::NoticeSink = {
        let tx = tx.clone();
        Arc::new(move |notice| {
            let _ = tx.send(Event::Storage(notice));
        })
    };
    cache.set_sink(sink.clone());
    work.set_sink(sink);
    let needs_full_load = FullLoad {
        counts: snapshot.counts_pending,
        incidents: snapshot.counts_pending || snapshot.total > snapshot.incidents.len(),
        tickets: snapshot.counts_pending || snapshot.tickets_total > snapshot.tickets.len(),
    };
    let (label, demo) = match &options.backend {
        BackendChoice::Demo { .. } => ("DEMO".to_string(), true),
        BackendChoice::Remote { url, .. } => (url.split("://").nth(1).unwrap_or(url).to_string(), false),
        BackendChoice::Local { .. } => ("local".to_string(), false),
    };
    let in_process = !matches!(options.backend, BackendChoice::Remote { .. });
    let session = Session {
        backend_label: label,
        demo,
        read_only_flag: options.read_only,
        me: in_process.then(|| Me { name: demo_user(), role: Role::Commander }),
        run_id: uuid::Uuid::new_v4().simple().to_string(),
        author: match &options.backend {
            BackendChoice::Demo { .. } => format!("demo:{}", demo_user()),
            BackendChoice::Remote { url, token } => Session::author_for(url, token.as_ref().map(|t| t.expose())),
            BackendChoice::Local { .. } => format!("local:{}", demo_user()),
        },
    };
    // The system's zone is read here, once: the state only ever gets it handed.
    let environment = Environment { terminal: options.terminal, system_zone: SystemZone::detect() };
    let mut state = AppState::new(session, &options.config, snapshot, environment, Utc::now());
    for notice in notices {
        tracing::warn!(file = ?notice.file, "{}", notice.text);
        state.update(Event::Storage(notice), Utc::now());
    }

    let mut tui = terminal::enter(options.terminal).context("setting up the terminal")?;
    let size = tui.size()?;
    state.update(Event::Resize { width: size.width, height: size.height }, Utc::now());
    terminal::draw(&mut tui, &state, Utc::now())?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "first frame drawn from the cache");

    let stores = Stores { cache, work };
    let result = run_loop(&mut tui, &mut state, &options, stores, needs_full_load, tx, rx).await;
    terminal::leave()?;
    report_unsaved(&state);
    result
}

/// Opens both files, moves an earlier cache's share of the user's work into the work file, and
/// reads what the first frame needs. Never fails: whatever could not be read is said in the
/// notices, and the console starts with what could.
async fn open_stores(
    cache: &DbLocation,
    work: &DbLocation,
) -> (Cache, Work, CacheSnapshot, Vec<crate::db::StorageNotice>) {
    let ((cache, mut notices), (work, more)) = tokio::join!(Cache::open_recovering(cache), Work::open_recovering(work));
    notices.extend(more);
    if let Err(err) = work.adopt(&cache).await {
        // They stay in the cache, and are tried again at the next start.
        tracing::error!(error = %err, "could not move the actions and drafts kept in the cache to the work file");
    }
    let mut snapshot = match cache.first_screen(FIRST_FRAME_ROWS).await {
        Ok(snapshot) => snapshot,
        // A damaged cache has been moved aside by now: the fresh one is read instead.
        Err(first) => cache.first_screen(FIRST_FRAME_ROWS).await.unwrap_or_else(|err| {
            tracing::error!(error = %first, again = %err, "the cache could not be read; starting from an empty one");
            CacheSnapshot::default()
        }),
    };
    if let Err(err) = work.load_into(&mut snapshot).await {
        tracing::error!(error = %err, "the work file could not be read");
        notices.push(crate::db::StorageNotice {
            file: crate::db::StoredFile::Work,
            kind: crate::db::NoticeKind::Unreadable,
            text: format!("{err}; actions and drafts saved there earlier are not shown (they stay in the file)"),
        });
    }
    (cache, work, snapshot, notices)
}

/// After the terminal is given back: what the user did that is neither on disk nor confirmed by
/// the backend, so that it can be done again by hand.
fn report_unsaved(state: &AppState) {
    let lines = state.unsaved_report();
    if lines.is_empty() {
        return;
    }
    eprintln!("opsdeck: not saved to disk and not sent, lost with this exit:");
    for line in &lines {
        tracing::error!("lost at exit: {line}");
        eprintln!("  {line}");
    }
}

async fn run_loop(
    tui: &mut terminal::Tui,
    state: &mut AppState,
    options: &ConsoleOptions,
    stores: Stores,
    needs_full_load: FullLoad,
    tx: EventSender,
    mut rx: crate::console::event::EventReceiver,
) -> anyhow::Result<()> {
    let (backend, demo_server) =
        connect(&options.backend, &options.config_path, state.me_name(), options.config.stream).await?;
    let cache = stores.cache.clone();
    let sync = crate::console::sync::spawn(backend.clone(), cache.clone(), tx.clone(), options.config.poll_interval);
    let backlog = sync.backlog();
    let mut runner = EffectRunner::new(backend, stores, tx.clone(), sync, options.drafts_dir.clone());
    let mut input = spawn_terminal_events(tx.clone());
    spawn_signals(tx.clone());
    let _drafts_watcher = {
        let tx = tx.clone();
        crate::console::watch::watch_drafts(options.drafts_dir.clone(), move |id, text| {
            let _ = tx.send(Event::DraftFileChanged { id, text });
        })
        .inspect_err(|err| tracing::warn!(error = %err, "the drafts folder is not watched"))
        .ok()
    };
    let _watcher = {
        let tx = tx.clone();
        crate::config::watch(options.config_path.clone(), move |result| {
            let _ = tx.send(Event::Config(result));
        })
        .inspect_err(|err| tracing::warn!(error = %err, "config file is not watched"))
        .ok()
    };
    {
        let (tx, cache) = (tx.clone(), cache.clone());
        tokio::spawn(async move {
            match cache.monitoring().await {
                Ok(rows) => {
                    let _ = tx.send(Event::MonitoringLoaded(Box::new(rows)));
                }
                Err(err) => tracing::error!(error = %err, "loading the cached drift data failed"),
            }
            // Every page of the cache, checked once the first frame is up: a damaged one is
            // moved aside and synced anew (`Event::Storage` says so).
            cache.verify().await;
        });
    }
    spawn_full_load(&cache, needs_full_load, &tx);

    let mut dirty = false;
    // Set once the cache's rows are all merged, when the memory their documents took is given back.
    let mut merged = !(needs_full_load.incidents || needs_full_load.tickets);
    let mut last_draw = Instant::now();
    // Events taken off the channel and not handled yet: a turn ends once it has worked `TURN`,
    // so the screen is drawn between the slices of a large sync page.
    let mut queue = crate::console::turns::Turns::default();
    // Set by `TerminalEffect::Quit`: the events already taken in are handled and drawn first.
    let mut quit = false;
    while !quit {
        let now = Utc::now();
        let wake = state.next_wake(now).map(|at| {
            let wait = (at - now).to_std().unwrap_or_default();
            tokio::time::Instant::now() + wait
        });
        let draw_at = tokio::time::Instant::from_std(last_draw + FRAME);
        if queue.is_empty() {
            let event = tokio::select! {
                event = rx.recv() => match event {
                    Some(event) => Some(event),
                    None => break,
                },
                _ = sleep_until_opt(wake) => Some(Event::Tick),
                _ = tokio::time::sleep_until(draw_at), if dirty => None,
            };
            queue.extend(event);
        }
        // Everything queued is taken off the channel; what the user does goes first.
        while let Ok(more) = rx.try_recv() {
            queue.push(more);
        }
        let turn = Instant::now();
        // Set when the turn handled a key (or paste, resize, signal): its answer is drawn now.
        let mut answered = false;
        while let Some(event) = queue.next(turn.elapsed() < TURN) {
            let report = matches!(event, Event::Synced(_));
            answered |= crate::console::turns::is_user(&event);
            let update = state.update(event, Utc::now());
            if report {
                backlog.taken();
            }
            dirty |= update.changed;
            for effect in update.effects {
                match runner.run(effect, &mut LoopScreen { tui, input: &mut input }).await {
                    Flow::Continue => {}
                    Flow::Redraw => dirty = true,
                    Flow::Stop => quit = true,
                }
            }
            if quit {
                break;
            }
            // A key pressed during the turn overtakes the rest of its work, and the turn ends
            // once the user's events are handled, so that their answer is drawn at once.
            while let Ok(more) = rx.try_recv() {
                queue.push(more);
            }
            if answered && !queue.user_waiting() {
                break;
            }
        }
        if !merged && state.cache_merged() {
            merged = true;
            release_freed_memory();
        }
        if dirty && (answered || last_draw.elapsed() >= FRAME) {
            terminal::draw(tui, state, Utc::now())?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
    runner.finish(EXIT_FLUSH).await;
    if let Some(server) = demo_server {
        let _ = server.shutdown().await;
    }
    Ok(())
}

/// Reads what the first frame did not, a page at a time, and sends each page to be merged
/// (incidents first, in the list's order: each page lands after the one before).
fn spawn_full_load(cache: &Cache, load: FullLoad, tx: &EventSender) {
    let (cache, tx) = (cache.clone(), tx.clone());
    tokio::spawn(async move {
        // Counted before the pages, so that the list makes room for all of them at once; when
        // the count fails, the rows read are the count, sent once they are all read.
        let mut uncounted = false;
        if load.counts {
            match cache.counts().await {
                Ok((incidents, tickets)) => {
                    let _ = tx.send(Event::CacheCounted { incidents, tickets });
                }
                Err(err) => {
                    tracing::error!(error = %err, "counting the cached rows failed; counting them as they are read");
                    uncounted = true;
                }
            }
        }
        let (mut incidents_read, mut tickets_read) = (0, 0);
        // The Tickets tab's first rows next, ahead of the other incidents: a turn after the first
        // frame, not once every incident is merged.
        if load.tickets {
            match cache.first_tickets(FIRST_FRAME_ROWS).await {
                Ok(first) => {
                    let _ = tx.send(Event::FirstTickets(first));
                }
                Err(err) => tracing::error!(error = %err, "loading the cached tickets failed"),
            }
        }
        let mut after = load.incidents.then_some(None);
        while let Some(from) = after.take() {
            match cache.incidents_page(from, LOAD_PAGE).await {
                Ok((page, next)) => {
                    after = next.map(Some);
                    incidents_read += page.len();
                    let _ = tx.send(Event::CacheLoaded(page));
                }
                Err(err) => {
                    tracing::error!(error = %err, "loading the cached incidents failed");
                    break;
                }
            }
        }
        let mut after = Some(0);
        while let (true, Some(from)) = (load.tickets, after) {
            match cache.open_tickets_page(from, LOAD_PAGE).await {
                Ok((page, next)) => {
                    after = next;
                    tickets_read += page.len();
                    let _ = tx.send(Event::TicketsLoaded(page));
                }
                Err(err) => {
                    tracing::error!(error = %err, "loading the cached tickets failed");
                    break;
                }
            }
        }
        if load.tickets {
            match cache.closed_tickets().await {
                Ok(closed) => {
                    tickets_read += closed.len();
                    let _ = tx.send(Event::TicketsLoaded(closed));
                }
                Err(err) => tracing::error!(error = %err, "loading the cached tickets failed"),
            }
        }
        if uncounted {
            let _ = tx.send(Event::CacheCounted { incidents: incidents_read, tickets: tickets_read });
        }
    });
}

/// Gives the heap the merge freed (the pages of documents read, the rows held while merging)
/// back to the system once: glibc's allocator keeps it otherwise, and the console's resident
/// memory would stay at its peak for good.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it touches no live memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The backend to talk to. For the demo (the simulator, in memory) and for the config's own
/// `[[sources]]` (a database in the data dir), the reference server is started on 127.0.0.1 with a
/// random port and a token made up for this run, and reached over HTTP like any other.
async fn connect(
    choice: &BackendChoice,
    config_path: &std::path::Path,
    user: &str,
    stream: bool,
) -> anyhow::Result<(Arc<dyn Backend>, Option<RunningServer>)> {
    let streaming = |backend: HttpBackend| if stream { backend } else { backend.polling_only() };
    let (db, sources, what) = match choice {
        BackendChoice::Remote { url, token } => {
            let backend = HttpBackend::new(url, token.clone())?.with_config_path(config_path);
            return Ok((Arc::new(streaming(backend)), None));
        }
        BackendChoice::Demo { seed } => {
            (DbLocation::Memory, vec![simulator::feed(*seed, simulator::Pace::demo())], "the demo server")
        }
        BackendChoice::Local { sources, db } => {
            if let Some(dir) = db.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
            }
            let sources = crate::sources::config::build_all(sources, config_path)?;
            (DbLocation::File(db.clone()), sources, "the local server")
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.with_context(|| format!("starting {what}"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let token = server::auth::random_token();
    let mut users = Users::default();
    users.add(user, Role::Commander, &token);
    let server = server::start(listener, ServeOptions { db: db.into(), users, sources })
        .await
        .with_context(|| format!("starting {what}"))?;
    tracing::info!(%url, "{what} started");
    Ok((Arc::new(streaming(HttpBackend::new(&url, Some(Secret::new(token)))?)), Some(server)))
}

/// The run loop's terminal, lent to the effect runner for one effect.
struct LoopScreen<'a> {
    tui: &'a mut terminal::Tui,
    input: &'a mut Input,
}

impl Screen for LoopScreen<'_> {
    fn bell(&mut self) {
        let _ = terminal::bell(self.tui);
    }

    async fn edit(&mut self, path: &std::path::Path, text: &str) -> Result<String, String> {
        crate::console::editor::external_editor(self.tui, self.input, path, text).await
    }
}

fn spawn_signals(tx: EventSender) {
    use tokio::signal::unix::{SignalKind, signal};
    for (kind, name) in
        [(SignalKind::terminate(), "SIGTERM"), (SignalKind::hangup(), "SIGHUP"), (SignalKind::interrupt(), "SIGINT")]
    {
        let tx = tx.clone();
        match signal(kind) {
            Ok(mut stream) => {
                tokio::spawn(async move {
                    if stream.recv().await.is_some() {
                        let _ = tx.send(Event::Shutdown { signal: name });
                    }
                });
            }
            Err(err) => tracing::warn!(error = %err, signal = name, "cannot listen for the signal"),
        }
    }
}
