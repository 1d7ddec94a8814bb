//! KS + PSI + JS + Wasserstein for 100,000 reference vs 100,000 current values:
//! `cargo bench --bench drift`. SciPy's time for the same work on the same machine:
//! `python3 benches/scipy_drift.py`.
//!
//! Also the Drift tab: a frame at 160×48 and 80×24 over 7 days of the simulator's hourly windows,
//! recomputing a feature's statistics (what `f` or a new model costs), and taking in one refilled
//! window (what each sync of an open window costs).
//!
//! The samples: a standard normal reference and a current sample scaled by 1.1 and shifted by
//! 0.1, from a fixed seed (Box–Muller over ChaCha8), as in the Python script.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use opsdeck::domain::drift::{self, Binning};

const N: usize = 100_000;

fn normal(rng: &mut ChaCha8Rng, n: usize, scale: f64, shift: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos() * scale + shift
        })
        .collect()
}

fn all_four(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let reference = normal(&mut rng, N, 1.0, 0.0);
    let current = normal(&mut rng, N, 1.1, 0.1);
    c.bench_function("KS + PSI + JS + Wasserstein, 100k vs 100k", |b| {
        b.iter(|| {
            let ks = drift::ks_2samp(&reference, &current).expect("ks");
            let psi = drift::psi(&reference, &current, 10, Binning::EqualWidth).expect("psi");
            let js = drift::js_distance(&reference, &current, 10, Binning::EqualWidth, None).expect("js");
            let w = drift::wasserstein_distance(&reference, &current).expect("wasserstein");
            (ks.statistic, ks.pvalue, psi.value, js, w)
        })
    });
    c.bench_function("KS alone, 100k vs 100k", |b| b.iter(|| drift::ks_2samp(&reference, &current).expect("ks")));
}

fn drift_tab(c: &mut Criterion) {
    use chrono::TimeZone;
    use opsdeck::console::event::Event;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 5, 14, 30, 0).unwrap();
    let mut snapshot = opsdeck::fixtures::seeded_snapshot(1, now);
    let world = opsdeck::sources::simulator::drift::demo_monitoring(1, now, 168, &snapshot.incidents);
    snapshot.monitoring =
        opsdeck::cache::MonitoringRows { models: world.models, windows: world.windows.clone(), quality: world.quality };
    let config = opsdeck::config::Config::default();
    let mut state =
        opsdeck::console::state::AppState::new(opsdeck::fixtures::session(true), &config, snapshot, false, now);
    state.tab = opsdeck::console::tabs::TabId::Drift;
    state.drift.zoom(10); // 7 days on screen
    let windows = state.drift.series().len();
    for (width, height) in [(160, 48), (80, 24)] {
        state.update(Event::Resize { width, height }, now);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        c.bench_function(&format!("drift tab frame {width}x{height}, {windows} hourly windows"), |b| {
            b.iter(|| {
                terminal.draw(|frame| opsdeck::console::view::draw(frame, &state, now)).expect("draw");
            })
        });
    }
    let incidents: Vec<_> = state.incidents.all_incidents().map(std::borrow::Cow::into_owned).collect();
    let mut tab = state.drift.clone();
    // What the blocking thread does after `f` or `m` on a feature not seen yet.
    let job = {
        let mut fresh = opsdeck::console::tabs::drift::DriftTab::new(tab.data.clone());
        fresh.rebuild(incidents.iter().map(Into::into));
        fresh.take_job().expect("statistics to compute")
    };
    c.bench_function(&format!("drift statistics of one feature, {windows} windows (off the UI task)"), |b| {
        b.iter(|| job.clone().run())
    });
    c.bench_function("drift: switch feature on the UI task (statistics already computed)", |b| {
        b.iter(|| {
            tab.next_feature(1, incidents.iter().map(Into::into));
            tab.settle();
        })
    });
    let model = tab.model().expect("a model").id.clone();
    let feature = tab.feature().expect("a feature").name.clone();
    let newest = world.windows.iter().rfind(|w| w.model_id == model && w.feature == feature).expect("a window").clone();
    c.bench_function("drift: take in one refilled open window, on the UI task", |b| {
        b.iter(|| tab.absorb(Vec::new(), vec![newest.clone()], Vec::new(), incidents.iter().map(Into::into)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(15);
    targets = all_four, drift_tab
}
criterion_main!(benches);
