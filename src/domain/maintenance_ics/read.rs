//! Reading iCalendar text (RFC 5545 §3.1) into components and properties, leniently where real
//! programs differ and strictly only where the text is truly broken.
//!
//! Written here rather than taken from the `icalendar` crate's parser, which keeps only the first
//! VCALENDAR of a file and has no way to ignore what follows `END:VCALENDAR`. What is accepted:
//! CRLF or bare LF line ends, folding with a space or a tab, a byte-order mark, blank lines,
//! lower-case names, quoted parameter values (`TZID="W. Europe Standard Time"`), several
//! VCALENDARs in one file, and anything outside them (mail headers before, signatures after).
//! What is refused, with the line number: a property line without a colon, an `END` that closes
//! another component than the one open, a file that ends inside a component (truncated), and
//! components nested deeper than [`MAX_DEPTH`].
//!
//! Values are kept as written; [`unescape`] turns a TEXT value's `\,` `\;` `\n` `\\` into what
//! they stand for, and [`split_list`] splits a list on the commas that are not escaped.

/// Deepest nesting accepted (VCALENDAR › VEVENT › VALARM is 3).
pub const MAX_DEPTH: usize = 8;

/// One property: its name (upper-cased), its parameters (names upper-cased, values unquoted) and
/// its raw value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
}

impl Prop {
    /// The value of parameter `key`, if given.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// A component (`BEGIN:NAME` … `END:NAME`) with its properties and the components inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub props: Vec<Prop>,
    pub children: Vec<Component>,
}

impl Component {
    /// The first property called `name`.
    pub fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Every property called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// The child components called `name`.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Every VCALENDAR of `text`, or why the text is not iCalendar.
pub fn calendars(text: &str) -> Result<Vec<Component>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut calendars = Vec::new();
    // Open components, innermost last; empty while outside any VCALENDAR.
    let mut open: Vec<Component> = Vec::new();
    for (number, line) in logical_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if open.is_empty() {
            // Outside a calendar only its start matters; anything else is ignored.
            if line.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") {
                open.push(Component { name: "VCALENDAR".into(), ..Component::default() });
            }
            continue;
        }
        let prop = property(&line).ok_or_else(|| {
            let shown: String = line.chars().take(60).collect();
            format!("line {number}: `{shown}` is not a property (NAME:value)")
        })?;
        match prop.name.as_str() {
            "BEGIN" => {
                if open.len() >= MAX_DEPTH {
                    return Err(format!("line {number}: components nested deeper than {MAX_DEPTH}"));
                }
                let name = prop.value.trim().to_ascii_uppercase();
                open.push(Component { name, ..Component::default() });
            }
            "END" => {
                let name = prop.value.trim().to_ascii_uppercase();
                let Some(done) = open.pop() else { continue };
                if done.name != name {
                    let shown: String = name.chars().take(40).collect();
                    return Err(format!("line {number}: END:{shown} closes BEGIN:{}", done.name));
                }
                match open.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => calendars.push(done),
                }
            }
            _ => {
                if let Some(current) = open.last_mut() {
                    current.props.push(prop);
                }
            }
        }
    }
    if let Some(inner) = open.last() {
        return Err(format!("the file ends inside {} without its END (truncated?)", inner.name));
    }
    if calendars.is_empty() {
        return Err("it has no BEGIN:VCALENDAR".into());
    }
    Ok(calendars)
}

/// Unfolded lines with the number of the physical line each starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some((_, previous))) => previous.push_str(rest),
            _ => out.push((index + 1, raw.to_string())),
        }
    }
    out
}

/// `NAME;PARAM=value;PARAM="quoted:value":value` split into its parts; `None` without a colon
/// outside quotes or without a name.
fn property(line: &str) -> Option<Prop> {
    let mut in_quotes = false;
    let mut colon = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = split_unquoted(head, ';').into_iter();
    let name = parts.next()?.trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim().replace('"', "")),
            None => (p.trim().to_ascii_uppercase(), String::new()),
        })
        .collect();
    Some(Prop { name, params, value: value.to_string() })
}

fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut in_quotes) = (0, false);
    for (i, c) in text.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == separator && !in_quotes {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A TEXT value as meant: `\n` and `\N` a newline, `\,` `\;` `\\` the character itself.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A list value split on its unescaped commas, each part unescaped and trimmed, empty ones
/// dropped.
pub fn split_list(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts.iter().map(|p| unescape(p.trim())).filter(|p| !p.is_empty()).collect()
}
