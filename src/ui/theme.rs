//! Colours and emphasis. With `NO_COLOR` set, only bold, dim and reverse are used.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};

use crate::domain::{IncidentStatus, Priority};
use crate::sla::Band;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub p1: Color,
    pub p2: Color,
    pub p3: Color,
    pub p4: Color,
    pub accent: Color,
    pub stale: Color,
    pub pending: Color,
    pub ok: Color,
    pub muted: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            color: true,
            p1: Color::LightRed,
            p2: Color::Yellow,
            p3: Color::LightBlue,
            p4: Color::Gray,
            accent: Color::Cyan,
            stale: Color::Yellow,
            pending: Color::Magenta,
            ok: Color::Green,
            muted: Color::DarkGray,
        }
    }
}

impl Theme {
    /// The default palette with the config's `[colors]` on top; `no_color` wins over both.
    pub fn new(overrides: &BTreeMap<String, Color>, no_color: bool) -> Theme {
        let mut theme = Theme { color: !no_color, ..Theme::default() };
        for (slot, color) in overrides {
            let target = match slot.as_str() {
                "p1" => &mut theme.p1,
                "p2" => &mut theme.p2,
                "p3" => &mut theme.p3,
                "p4" => &mut theme.p4,
                "accent" => &mut theme.accent,
                "stale" => &mut theme.stale,
                "pending" => &mut theme.pending,
                "ok" => &mut theme.ok,
                "muted" => &mut theme.muted,
                _ => continue,
            };
            *target = *color;
        }
        theme
    }

    fn fg(&self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn priority(&self, priority: Priority) -> Style {
        let style = match priority {
            Priority::P1 => self.fg(self.p1).add_modifier(Modifier::BOLD),
            Priority::P2 => self.fg(self.p2),
            Priority::P3 => self.fg(self.p3),
            Priority::P4 => self.fg(self.p4),
        };
        if !self.color && priority == Priority::P1 { style.add_modifier(Modifier::BOLD) } else { style }
    }

    pub fn status(&self, status: IncidentStatus) -> Style {
        match status {
            IncidentStatus::Triggered => self.fg(self.p1).add_modifier(Modifier::BOLD),
            IncidentStatus::Acknowledged => self.fg(self.p2),
            IncidentStatus::Resolved => self.muted(),
        }
    }

    /// An SLA clock by band: quiet while ok, loud as it nears and passes its target. Without
    /// colour, critical is bold and breached reversed so the bands still read apart.
    pub fn band(&self, band: Band) -> Style {
        match band {
            Band::Ok => self.ok(),
            Band::Warning => self.warning(),
            Band::Critical => self.error(),
            Band::Breached if self.color => self.error().add_modifier(Modifier::REVERSED),
            Band::Breached => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    pub fn accent(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn muted(&self) -> Style {
        if self.color { self.fg(self.muted) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    pub fn pending(&self) -> Style {
        self.fg(self.pending).add_modifier(Modifier::ITALIC)
    }

    pub fn ok(&self) -> Style {
        self.fg(self.ok)
    }

    /// The badge shown while data is stale: loud on purpose.
    pub fn stale_badge(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(self.stale).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn error(&self) -> Style {
        self.fg(self.p1).add_modifier(Modifier::BOLD)
    }

    pub fn warning(&self) -> Style {
        self.fg(self.stale)
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn border(&self) -> Style {
        self.muted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_uses_only_modifiers() {
        let theme = Theme::new(&BTreeMap::from([("p1".to_string(), Color::Blue)]), true);
        for style in [
            theme.priority(Priority::P1),
            theme.status(IncidentStatus::Acknowledged),
            theme.stale_badge(),
            theme.accent(),
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert!(theme.stale_badge().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn overrides_replace_slots() {
        let theme = Theme::new(&BTreeMap::from([("p1".to_string(), Color::Blue)]), false);
        assert_eq!(theme.priority(Priority::P1).fg, Some(Color::Blue));
    }
}
