//! Input errors: an input keyreach could not analyse, with the place it failed.
//!
//! These are recorded, reported on stderr, and turn the exit code into 2 — but the other inputs
//! are still analysed (ripgrep's soft errors).

use std::fmt;

/// An input that could not be read or analysed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
pub struct InputError {
    /// The input path as given.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<u32>,
    /// 1-based column, where known.
    pub column: Option<u32>,
    /// JSON pointer, where that is the better address.
    pub pointer: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl InputError {
    /// An error about a whole file.
    #[must_use]
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: None,
            column: None,
            pointer: None,
            message: message.into(),
        }
    }

    /// Adds a line and column.
    #[must_use]
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = u32::try_from(line).ok();
        self.column = u32::try_from(column).ok();
        self
    }

    /// Adds a JSON pointer.
    #[must_use]
    pub fn at_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// An error for a serde_json failure, with its line and column.
    #[must_use]
    pub fn from_json(file: &str, err: &serde_json::Error) -> Self {
        let what = match err.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "unexpected JSON data",
            serde_json::error::Category::Io => "cannot read JSON",
        };
        Self::new(file, format!("{what}: {err}")).at(err.line(), err.column())
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(p) = &self.pointer {
            write!(f, " (at {})", if p.is_empty() { "/" } else { p })?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Escapes one JSON pointer token (RFC 6901).
#[must_use]
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}
