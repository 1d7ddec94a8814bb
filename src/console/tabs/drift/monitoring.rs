//! Models, drift windows and quality points as the console holds them, indexed for the Drift tab.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::cache::{MONITORING_RETENTION, MonitoringRows};
use crate::domain::{DriftWindow, Model, QualityPoint};

/// Models, windows and quality points as synced, indexed for the tab.
#[derive(Debug, Clone, Default)]
pub struct Monitoring {
    pub models: Vec<Model>,
    /// Per (model, feature), oldest first, one per start.
    windows: HashMap<(String, String), Vec<DriftWindow>>,
    /// Per model, oldest first, one per start.
    quality: HashMap<String, Vec<QualityPoint>>,
}

impl Monitoring {
    pub fn from_rows(rows: MonitoringRows) -> Monitoring {
        let mut data = Monitoring::default();
        for model in rows.models {
            data.put_model(model);
        }
        for window in rows.windows {
            data.put_window(window);
        }
        for point in rows.quality {
            data.put_quality(point);
        }
        data
    }

    /// Replaces the model with the same id, or adds it at the end (models keep the backend's order).
    pub fn put_model(&mut self, model: Model) {
        match self.models.iter().position(|m| m.id == model.id) {
            Some(i) => self.models[i] = model,
            None => self.models.push(model),
        }
    }

    pub fn put_window(&mut self, window: DriftWindow) {
        let list = self.windows.entry((window.model_id.clone(), window.feature.clone())).or_default();
        put_by_start(list, window, |w| w.start);
    }

    pub fn put_quality(&mut self, point: QualityPoint) {
        put_by_start(self.quality.entry(point.model_id.clone()).or_default(), point, |p| p.start);
    }

    pub fn windows(&self, model: &str, feature: &str) -> &[DriftWindow] {
        self.windows.get(&(model.to_string(), feature.to_string())).map_or(&[], Vec::as_slice)
    }

    pub fn quality(&self, model: &str) -> &[QualityPoint] {
        self.quality.get(model).map_or(&[], Vec::as_slice)
    }
}

/// Inserts in start order, replacing the item with the same start, and forgets items older than
/// the cache keeps ([`MONITORING_RETENTION`] before the newest), so a console left running for
/// weeks does not grow without bound.
fn put_by_start<T>(list: &mut Vec<T>, item: T, start: impl Fn(&T) -> DateTime<Utc>) {
    let at = start(&item);
    match list.binary_search_by(|x| start(x).cmp(&at)) {
        Ok(i) => list[i] = item,
        Err(i) => list.insert(i, item),
    }
    if let Some(newest) = list.last().map(&start) {
        let expired = list.partition_point(|x| start(x) < newest - MONITORING_RETENTION);
        list.drain(..expired);
    }
}
