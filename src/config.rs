//! The configuration file, `keyreach.yaml`: expected access per domain and suppressions.
//!
//! ```yaml
//! domains:
//!   payments:
//!     read: [aws_iam_role.payments_app, "arn:aws:iam::111122223333:role/analytics-*"]
//!     write: [aws_iam_role.payments_app]
//!     admin: [aws_iam_role.platform_admin]
//!     account_wide: false
//! suppressions:
//!   - rule: KR003
//!     resource: aws_kms_key.payments
//!     reason: the platform team reviews IAM for this account
//!     expires: 2026-06-30
//! ```
//!
//! Validation happens while deserializing (newtypes with `try_from`), so every error carries
//! the line and column yaml_serde reports for the offending node. yaml_serde has no spans for
//! successfully parsed nodes; lines of individual entries (for stale-entry findings) are found
//! by scanning the text below their domain's header.

pub mod date;

use crate::model::Location;
use date::Date;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The file name looked for in the current directory and its parents.
pub const FILE_NAME: &str = "keyreach.yaml";

/// Largest configuration file read (bytes).
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// A configuration that could not be used, with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file as displayed.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<u32>,
    /// 1-based column, where known.
    pub column: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// One expected principal: an input id, an ARN, or a pattern with `*` and `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The pattern as written.
    pub pattern: String,
    /// Line in the configuration file, where found.
    pub line: Option<u32>,
}

impl Expected {
    /// True when `candidate` (a principal id or ARN) matches the pattern (case-sensitive, as
    /// IAM compares ARNs).
    #[must_use]
    pub fn matches(&self, candidate: &str) -> bool {
        wildmatch::WildMatch::new(&self.pattern).matches(candidate)
    }
}

/// Who may access one domain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedAccess {
    /// Line of the domain's header in the configuration file.
    pub line: Option<u32>,
    /// Principals allowed to read.
    pub read: Vec<Expected>,
    /// Principals allowed to write.
    pub write: Vec<Expected>,
    /// Principals allowed to administer.
    pub admin: Vec<Expected>,
    /// Whether access delegated to the whole (deploying) account through IAM is accepted.
    pub account_wide: bool,
    /// `fail_on_new_access` for this domain, overriding `--fail-on-new-access`.
    pub fail_on_new_access: Option<crate::cli::NewAccess>,
}

/// Which capability a list governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// `read`.
    Read,
    /// `write`.
    Write,
    /// `admin`.
    Admin,
}

impl Capability {
    /// The key used in the file.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Read => "read",
            Capability::Write => "write",
            Capability::Admin => "admin",
        }
    }

    /// All three, in file order.
    pub const ALL: [Capability; 3] = [Capability::Read, Capability::Write, Capability::Admin];
}

impl ExpectedAccess {
    /// The list for one capability.
    #[must_use]
    pub fn list(&self, cap: Capability) -> &[Expected] {
        match cap {
            Capability::Read => &self.read,
            Capability::Write => &self.write,
            Capability::Admin => &self.admin,
        }
    }
}

/// A suppression declared in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSuppression {
    /// Rule code.
    pub rule: String,
    /// Resource id (or pattern with `*`/`?`).
    pub resource: String,
    /// Why it is accepted.
    pub reason: String,
    /// Last day the suppression applies.
    pub expires: Option<Date>,
    /// Line in the configuration file, where found.
    pub line: Option<u32>,
}

/// The configuration (empty when there is no file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The file as displayed, when one was read.
    pub path: Option<String>,
    /// Expected access per domain name.
    pub domains: BTreeMap<String, ExpectedAccess>,
    /// Suppressions.
    pub suppressions: Vec<ConfigSuppression>,
}

impl Config {
    /// The location of a line of the configuration file.
    #[must_use]
    pub fn location(&self, line: Option<u32>) -> Location {
        Location {
            file: self.path.clone().unwrap_or_else(|| FILE_NAME.to_owned()),
            line,
            column: None,
            pointer: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    version: Option<Version>,
    #[serde(default)]
    domains: BTreeMap<String, RawDomain>,
    #[serde(default)]
    suppressions: Vec<RawSuppression>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    #[serde(default)]
    read: Vec<String>,
    #[serde(default)]
    write: Vec<String>,
    #[serde(default)]
    admin: Vec<String>,
    #[serde(default)]
    account_wide: bool,
    #[serde(default)]
    fail_on_new_access: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    rule: String,
    resource: String,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Deserialize)]
#[serde(try_from = "u32")]
struct Version;

impl TryFrom<u32> for Version {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        if v == 1 {
            Ok(Version)
        } else {
            Err(format!(
                "configuration version {v} is not supported (this keyreach reads version 1)"
            ))
        }
    }
}

/// Parses configuration text.
///
/// # Errors
/// YAML errors and invalid values, with line and column.
pub fn parse(display: &str, text: &str) -> Result<Config, ConfigError> {
    let error = |line: Option<u32>, column: Option<u32>, message: String| ConfigError {
        file: display.to_owned(),
        line,
        column,
        message,
    };
    if let Err(e) = crate::parse::depth::check(display, text) {
        return Err(error(e.line, e.column, e.message));
    }
    // An empty file (or one holding only comments) is an empty configuration.
    let raw: RawConfig = if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    }) {
        RawConfig {
            version: None,
            domains: BTreeMap::new(),
            suppressions: Vec::new(),
        }
    } else {
        yaml_serde::from_str(text).map_err(|e| {
            let loc = e.location();
            let mut message = e.to_string();
            // The location is rendered as `file:line:col`; drop yaml_serde's own suffix.
            if let Some(cut) = message.rfind(" at line ") {
                message.truncate(cut);
            }
            error(
                loc.as_ref()
                    .and_then(|l| u32::try_from(l.line()).ok())
                    .filter(|l| *l > 0),
                loc.as_ref()
                    .and_then(|l| u32::try_from(l.column()).ok())
                    .filter(|c| *c > 0),
                message,
            )
        })?
    };
    let _ = raw.version;
    let lines: Vec<&str> = text.lines().collect();
    let mut domains = BTreeMap::new();
    for (name, d) in raw.domains {
        let header = find_key_line(&lines, 0, &name);
        let from = header.map_or(0, |l| l as usize);
        let mut lists = Vec::with_capacity(3);
        for (cap, items) in [
            (Capability::Read, d.read),
            (Capability::Write, d.write),
            (Capability::Admin, d.admin),
        ] {
            // Entries are searched from their list's key line (inclusive, for flow style).
            let key_line = find_key_line(&lines, from, cap.as_str());
            let key = key_line.map_or(from, |l| l as usize - 1);
            let mut list = Vec::with_capacity(items.len());
            for pattern in items {
                if pattern.trim().is_empty() {
                    return Err(error(
                        key_line.or(header),
                        None,
                        format!("domains.{name}.{}: an entry is empty", cap.as_str()),
                    ));
                }
                list.push(Expected {
                    line: find_line(&lines, key, &pattern),
                    pattern,
                });
            }
            lists.push(list);
        }
        let fail_on_new_access = match d.fail_on_new_access.as_deref() {
            None => None,
            Some(v) => Some(
                <crate::cli::NewAccess as clap::ValueEnum>::from_str(v.trim(), true).map_err(|_| {
                    error(
                        find_key_line(&lines, from, "fail_on_new_access").or(header),
                        None,
                        format!(
                            "domains.{name}.fail_on_new_access: `{v}` is not one of read, write, admin, never"
                        ),
                    )
                })?,
            ),
        };
        let mut lists = lists.into_iter();
        domains.insert(
            name,
            ExpectedAccess {
                line: header,
                read: lists.next().unwrap_or_default(),
                write: lists.next().unwrap_or_default(),
                admin: lists.next().unwrap_or_default(),
                account_wide: d.account_wide,
                fail_on_new_access,
            },
        );
    }
    let section = find_key_line(&lines, 0, "suppressions").map_or(0, |l| l as usize);
    let mut rule_lines = lines
        .iter()
        .enumerate()
        .skip(section)
        .filter(|(_, l)| l.contains("rule:") || l.contains("\"rule\""))
        .map(|(i, _)| u32::try_from(i + 1).ok());
    let mut suppressions = Vec::with_capacity(raw.suppressions.len());
    for (i, s) in raw.suppressions.into_iter().enumerate() {
        let line = rule_lines.next().flatten();
        let from = line.map_or(section, |l| l as usize - 1);
        let at = |field: &str| find_key_line(&lines, from, field).or(line);
        let what = |field: &str| format!("suppressions[{i}].{field}");
        let Some(rule) = crate::rules::lookup(&s.rule) else {
            return Err(error(
                at("rule"),
                None,
                format!(
                    "{}: unknown rule `{}` (see `keyreach rules` for the codes)",
                    what("rule"),
                    s.rule
                ),
            ));
        };
        for (field, value) in [("resource", &s.resource), ("reason", &s.reason)] {
            if value.trim().is_empty() {
                return Err(error(
                    at(field),
                    None,
                    format!("{}: must not be empty", what(field)),
                ));
            }
        }
        let expires = match s.expires.as_deref() {
            None => None,
            Some(text) => Some(
                Date::parse(text.trim())
                    .map_err(|e| error(at("expires"), None, format!("{}: {e}", what("expires"))))?,
            ),
        };
        suppressions.push(ConfigSuppression {
            rule: rule.meta.code.to_owned(),
            resource: s.resource,
            reason: s.reason,
            expires,
            line,
        });
    }
    Ok(Config {
        path: Some(display.to_owned()),
        domains,
        suppressions,
    })
}

/// 1-based line of the first line at or after `from` (0-based) holding `key:` as a mapping key.
fn find_key_line(lines: &[&str], from: usize, key: &str) -> Option<u32> {
    let forms = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            forms.iter().any(|f| t.starts_with(f.as_str()))
        })
        .and_then(|(i, _)| u32::try_from(i + 1).ok())
}

/// 1-based line of the first line at or after `from` (0-based) containing `needle`.
fn find_line(lines: &[&str], from: usize, needle: &str) -> Option<u32> {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(needle))
        .and_then(|(i, _)| u32::try_from(i + 1).ok())
}

/// Reads and parses a configuration file.
///
/// # Errors
/// Unreadable file, YAML errors and invalid values, with line and column.
pub fn load(path: &Path, display: &str) -> Result<Config, ConfigError> {
    let io = |message: String| ConfigError {
        file: display.to_owned(),
        line: None,
        column: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| io(format!("cannot read: {e}")))?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(io(format!(
            "file is {} bytes; a configuration is at most {MAX_CONFIG_BYTES} bytes",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| io(format!("cannot read: {e}")))?;
    parse(display, &text)
}

/// Looks for [`FILE_NAME`] in `start` and its parents. Returns the path to read and the path
/// to display (relative to `start`: `keyreach.yaml`, `../keyreach.yaml`, ...).
#[must_use]
pub fn discover(start: &Path) -> Option<(PathBuf, String)> {
    let mut up = String::new();
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some((candidate, format!("{up}{FILE_NAME}")));
        }
        up.push_str("../");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_domains_and_suppressions_with_lines() {
        let text = "\
# expected access
domains:
  payments:
    read:
      - aws_iam_role.app
      - \"arn:aws:iam::111122223333:role/analytics-*\"
    admin: [aws_iam_role.admin]
    account_wide: true
  orders: {}
suppressions:
  - rule: kr003
    resource: aws_kms_key.payments
    reason: reviewed
    expires: 2026-06-30
  - rule: KR001
    resource: aws_kms_key.orders
    reason: public data
";
        let c = parse("keyreach.yaml", text).expect("valid");
        let p = &c.domains["payments"];
        assert_eq!(p.line, Some(3));
        assert_eq!(
            p.read
                .iter()
                .map(|e| (e.pattern.as_str(), e.line))
                .collect::<Vec<_>>(),
            [
                ("aws_iam_role.app", Some(5)),
                ("arn:aws:iam::111122223333:role/analytics-*", Some(6))
            ]
        );
        assert_eq!(p.admin[0].line, Some(7));
        assert!(p.account_wide);
        assert!(p.write.is_empty());
        assert!(!c.domains["orders"].account_wide);
        assert_eq!(c.suppressions.len(), 2);
        assert_eq!(c.suppressions[0].rule, "KR003");
        assert_eq!(c.suppressions[0].line, Some(11));
        assert_eq!(
            c.suppressions[0].expires.map(|d| d.to_string()).as_deref(),
            Some("2026-06-30")
        );
        assert_eq!(c.suppressions[1].line, Some(15));
        assert_eq!(c.suppressions[1].expires, None);
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, needle) in [
            ("domains:\n  a:\n    reed: [x]\n", 3, "unknown field `reed`"),
            (
                "suppressions:\n  - rule: KR999\n    resource: r\n    reason: x\n",
                2,
                "unknown rule `KR999`",
            ),
            (
                "suppressions:\n  - rule: KR001\n    resource: r\n    reason: x\n    expires: 2025-02-30\n",
                5,
                "not a valid calendar date",
            ),
            (
                "suppressions:\n  - rule: KR001\n    resource: r\n    reason: \"\"\n",
                4,
                "must not be empty",
            ),
            (
                "suppressions:\n  - rule: KR001\n    resource: r\n",
                2,
                "missing field `reason`",
            ),
            ("domains: [\n", 1, "expected a map"),
            ("domains:\n  a: {read: [x}\n", 2, ""),
            ("version: 2\n", 1, "version 2 is not supported"),
        ] {
            let e = parse("k.yaml", text).expect_err(text);
            assert_eq!(e.line, Some(line), "{text}: {e}");
            assert!(e.to_string().starts_with("k.yaml:"), "{e}");
            assert!(e.message.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn empty_file_is_empty_config() {
        let c = parse("k.yaml", "# nothing yet\n").expect("valid");
        assert!(c.domains.is_empty() && c.suppressions.is_empty());
    }

    #[test]
    fn patterns_match_ids_and_arns() {
        let e = |p: &str| Expected {
            pattern: p.to_owned(),
            line: None,
        };
        assert!(e("aws_iam_role.app").matches("aws_iam_role.app"));
        assert!(!e("aws_iam_role.app").matches("aws_iam_role.app2"));
        assert!(e("arn:aws:iam::1111:role/team-*").matches("arn:aws:iam::1111:role/team-a"));
        assert!(e("module.?.aws_iam_role.x").matches("module.a.aws_iam_role.x"));
        assert!(!e("arn:aws:iam::1111:role/Team").matches("arn:aws:iam::1111:role/team"));
    }
}
