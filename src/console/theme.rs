//! Colours, emphasis and glyphs, and what the terminal can show ([`TermCaps`], from `TERM` and
//! `COLORTERM`). With `NO_COLOR` set, only bold, dim and reverse are used. On terminals that only
//! know the 16 ANSI colours (the Linux console, VTs, plain `xterm`, `screen`, `tmux`) every colour
//! is one of those 16, the config's `#rrggbb` and indexed colours included (the nearest one).

pub mod glyphs;

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};

pub use crate::console::theme::glyphs::Glyphs;
use crate::domain::{IncidentStatus, Priority};
use crate::sla::Band;

/// What the terminal can show, decided once at start-up from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermCaps {
    /// `NO_COLOR`: only bold, dim and reverse.
    pub no_color: bool,
    /// Only the 16 ANSI colours, sent as the classic codes (30–37, 90–97) rather than `38;5;n`.
    pub ansi16: bool,
    /// Braille, `⧗`, `★` and the like show; when false, `glyphs = "auto"` means ASCII.
    pub unicode: bool,
    /// The alternate screen, synchronized updates and bracketed paste; the Linux console and VTs
    /// have none of them.
    pub modern: bool,
}

/// `TERM` is unset or `dumb`: no cursor addressing, so no console.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", match .0.as_deref() {
    None | Some("") => "TERM is not set".to_string(),
    Some(term) => format!("TERM={term} cannot move the cursor"),
})]
pub struct UnsupportedTerminal(pub Option<String>);

impl TermCaps {
    /// A modern terminal (all colours, Unicode), with or without colour: what tests use.
    pub const fn full(no_color: bool) -> TermCaps {
        TermCaps { no_color, ansi16: false, unicode: true, modern: true }
    }

    /// From `TERM` and `COLORTERM`: `linux`, `vt*`, and `xterm`, `screen`, `tmux`, `rxvt`
    /// without `256color` (and without `COLORTERM=truecolor`) get 16 colours; `linux` and `vt*`
    /// also get ASCII glyphs and no alternate screen. `dumb` and an unset `TERM` are refused.
    pub fn detect(
        term: Option<&str>,
        colorterm: Option<&str>,
        no_color: bool,
    ) -> Result<TermCaps, UnsupportedTerminal> {
        let name = term.map(|t| t.trim().to_ascii_lowercase()).unwrap_or_default();
        if name.is_empty() || name == "dumb" || name.starts_with("dumb-") {
            return Err(UnsupportedTerminal(term.map(str::to_string)));
        }
        let base = name.split(['-', '.']).next().unwrap_or_default();
        let console = base == "linux" || base.starts_with("vt") || matches!(base, "ansi" | "cons25" | "pcansi" | "sun");
        let rich = ["256color", "truecolor", "direct", "24bit"].iter().any(|s| name.contains(s))
            || colorterm.is_some_and(|c| matches!(c.trim().to_ascii_lowercase().as_str(), "truecolor" | "24bit"));
        // Plain `xterm`, `screen`… (and their `-color`, `-16color` variants) say 8 or 16 colours;
        // `xterm-kitty`, `xterm-ghostty` and the like are modern terminals under an xterm name.
        let variant = &name[base.len()..];
        let plain = variant.is_empty() || variant.ends_with("color") || matches!(variant, "-new" | "-xfree86");
        let sixteen = console || (matches!(base, "xterm" | "screen" | "tmux" | "rxvt" | "eterm") && plain);
        Ok(TermCaps { no_color, ansi16: sixteen && !rich, unicode: !console, modern: !console })
    }
}

/// `no_color`, on a modern terminal.
impl From<bool> for TermCaps {
    fn from(no_color: bool) -> Self {
        TermCaps::full(no_color)
    }
}

/// `glyphs = "auto" | "ascii" | "unicode"` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GlyphChoice {
    /// ASCII on terminals that cannot do better (see [`TermCaps::detect`]), Unicode elsewhere.
    #[default]
    Auto,
    Ascii,
    Unicode,
}

impl std::str::FromStr for GlyphChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(GlyphChoice::Auto),
            "ascii" => Ok(GlyphChoice::Ascii),
            "unicode" => Ok(GlyphChoice::Unicode),
            _ => Err(format!("`{s}` is not one of auto, ascii, unicode")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    /// Only the 16 ANSI colours are used.
    pub ansi16: bool,
    pub glyphs: Glyphs,
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
            ansi16: false,
            glyphs: Glyphs::UNICODE,
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
        Theme::for_terminal(overrides, TermCaps::full(no_color), GlyphChoice::Auto)
    }

    /// [`Theme::new`] for what the terminal can show, with the config's choice of glyphs.
    pub fn for_terminal(overrides: &BTreeMap<String, Color>, caps: TermCaps, glyphs: GlyphChoice) -> Theme {
        let ascii = match glyphs {
            GlyphChoice::Auto => !caps.unicode,
            GlyphChoice::Ascii => true,
            GlyphChoice::Unicode => false,
        };
        let mut theme = Theme {
            color: !caps.no_color,
            ansi16: caps.ansi16,
            glyphs: if ascii { Glyphs::ASCII } else { Glyphs::UNICODE },
            ..Theme::default()
        };
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
            *target = if caps.ansi16 { to_ansi16(*color) } else { *color };
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

/// The 16 ANSI colours as xterm shows them by default, by index.
const ANSI16_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// The ANSI colour (0–15) nearest to an RGB colour.
pub fn nearest_ansi16(r: u8, g: u8, b: u8) -> u8 {
    let distance = |&(cr, cg, cb): &(u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(r, cr) * 3 + d(g, cg) * 4 + d(b, cb) * 2
    };
    (0..16u8).min_by_key(|i| distance(&ANSI16_RGB[usize::from(*i)])).unwrap_or(7)
}

/// The RGB value of a colour of the 256-colour palette.
pub fn indexed_rgb(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => ANSI16_RGB[usize::from(index)],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let i = index - 16;
            (level(i / 36), level(i / 6 % 6), level(i % 6))
        }
        _ => {
            let grey = 8 + 10 * (index - 232);
            (grey, grey, grey)
        }
    }
}

/// The ANSI index (0–15) of a colour of the 256-colour palette.
pub fn ansi16_index(index: u8) -> u8 {
    if index < 16 {
        return index;
    }
    let (r, g, b) = indexed_rgb(index);
    nearest_ansi16(r, g, b)
}

/// A colour as one of the 16 named ANSI colours.
pub fn to_ansi16(color: Color) -> Color {
    let index = match color {
        Color::Rgb(r, g, b) => nearest_ansi16(r, g, b),
        Color::Indexed(i) => ansi16_index(i),
        named => return named,
    };
    [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ][usize::from(index)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminals_get_what_they_can_show() {
        let detect = |term: &str, colorterm: Option<&str>| TermCaps::detect(Some(term), colorterm, false).unwrap();
        let full = TermCaps::full(false);
        let console = TermCaps { no_color: false, ansi16: true, unicode: false, modern: false };
        let sixteen = TermCaps { ansi16: true, ..full };
        for (term, colorterm, expected) in [
            ("xterm-256color", None, full),
            ("tmux-256color", None, full),
            ("screen.xterm-256color", None, full),
            ("alacritty", None, full),
            ("xterm-kitty", None, full),
            ("xterm", None, sixteen),
            ("xterm-color", None, sixteen),
            ("xterm-16color", None, sixteen),
            ("xterm-ghostty", None, full),
            ("screen", None, sixteen),
            ("xterm", Some("truecolor"), full),
            ("linux", None, console),
            ("vt100", None, console),
            ("vt220", None, console),
            ("VT102", None, console),
            ("linux", Some("truecolor"), TermCaps { ansi16: false, ..console }),
        ] {
            assert_eq!(detect(term, colorterm), expected, "TERM={term} COLORTERM={colorterm:?}");
        }
        for refused in [None, Some(""), Some("dumb"), Some(" dumb ")] {
            let err = TermCaps::detect(refused, None, false).unwrap_err();
            assert!(err.to_string().starts_with("TERM"), "{err}");
        }
    }

    #[test]
    fn sixteen_colours_clamp_the_configs_colours_and_glyphs_follow_the_choice() {
        let overrides = BTreeMap::from([
            ("p1".to_string(), Color::Rgb(0xff, 0x5f, 0x5f)),
            ("accent".to_string(), Color::Indexed(21)),
            ("ok".to_string(), Color::Rgb(0, 0x80, 0)),
        ]);
        let caps = TermCaps::detect(Some("linux"), None, false).unwrap();
        let theme = Theme::for_terminal(&overrides, caps, GlyphChoice::Auto);
        assert_eq!((theme.p1, theme.accent, theme.ok), (Color::LightRed, Color::Blue, Color::Green));
        assert!(theme.glyphs.ascii);
        assert!(!Theme::for_terminal(&overrides, caps, GlyphChoice::Unicode).glyphs.ascii);
        let modern = Theme::for_terminal(&overrides, TermCaps::full(false), GlyphChoice::Auto);
        assert_eq!(modern.p1, Color::Rgb(0xff, 0x5f, 0x5f));
        assert!(!modern.glyphs.ascii);
        assert!(Theme::for_terminal(&overrides, TermCaps::full(false), GlyphChoice::Ascii).glyphs.ascii);
        assert_eq!(ansi16_index(196), 9, "bright red");
        assert_eq!(ansi16_index(244), 8, "mid grey");
        assert_eq!(ansi16_index(255), 7, "light grey");
        assert_eq!(ansi16_index(231), 15, "white");
    }

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
