//! The intrinsic functions that compute values: `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
//! `Fn::Select`, `Fn::Split`, `Fn::FindInMap` (with `DefaultValue`), `Fn::If` and
//! `Fn::Base64`. Each checks its argument shape and reports a malformed one at its line;
//! whatever is not known before deploy stays unknown, with the references it derives from.

use super::resolve::{Ctx, Path, Truth};
use super::rval::{concat, RVal};
use serde_json::Value;

impl Ctx<'_> {
    pub(super) fn get_att(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let (res, attr) = match arg {
            Value::Array(items) if items.len() == 2 => {
                let Some(res) = items[0].as_str() else {
                    return self.bad(inst, at, "Fn::GetAtt takes [LogicalId, Attribute]");
                };
                let attr = match self.resolve(inst, &items[1], &Path::Idx(at, 1)) {
                    RVal::Str(s) => Some(s),
                    _ => None,
                };
                (res.to_owned(), attr)
            }
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_owned(), Some(a.to_owned())),
                None => return self.bad(inst, at, "Fn::GetAtt takes LogicalId.Attribute"),
            },
            _ => return self.bad(inst, at, "Fn::GetAtt takes [LogicalId, Attribute]"),
        };
        if self.template(inst).resource(&res).is_none() {
            return self.dangling(
                inst,
                at,
                format!("Fn::GetAtt names `{res}`, which is not a resource of this template"),
            );
        }
        match attr {
            Some(a) => self.attr(inst, &res, Some(&a)),
            None => RVal::reference(&self.id_of(inst, &res), None),
        }
    }

    pub(super) fn sub(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(items) if items.len() == 2 => match (&items[0], &items[1]) {
                (Value::String(s), Value::Object(m)) => (s.as_str(), Some(m)),
                _ => {
                    return self.bad(
                        inst,
                        at,
                        "Fn::Sub takes a string or [string, {variable: value}]",
                    )
                }
            },
            _ => {
                return self.bad(
                    inst,
                    at,
                    "Fn::Sub takes a string or [string, {variable: value}]",
                )
            }
        };
        let vars_at = Path::Idx(at, 1);
        let mut parts: Vec<RVal> = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            parts.push(RVal::Str(rest[..start].to_owned()));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                parts.push(RVal::Str(rest[start..].to_owned()));
                rest = "";
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(lit) = name.strip_prefix('!') {
                parts.push(RVal::Str(format!("${{{lit}}}")));
                continue;
            }
            let name = name.trim();
            if let Some(v) = vars.and_then(|m| m.get(name)) {
                parts.push(self.resolve(inst, v, &Path::Key(&vars_at, name)));
                continue;
            }
            if self.pseudo_known(name) || self.param_declared(inst, name) {
                parts.push(self.ref_name(inst, name, at));
                continue;
            }
            if self.template(inst).resource(name).is_some() {
                parts.push(self.attr(inst, name, None));
                continue;
            }
            if let Some((res, attr)) = name.split_once('.') {
                if self.template(inst).resource(res).is_some() {
                    parts.push(self.attr(inst, res, Some(attr)));
                    continue;
                }
            }
            parts.push(self.dangling(
                inst,
                at,
                format!("Fn::Sub variable `${{{name}}}` names no parameter, resource or variable"),
            ));
        }
        parts.push(RVal::Str(rest.to_owned()));
        concat(parts)
    }

    pub(super) fn join(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::Join takes [delimiter, [values]]");
        };
        let [delim, list] = items.as_slice() else {
            return self.bad(inst, at, "Fn::Join takes [delimiter, [values]]");
        };
        let Some(delim) = delim.as_str() else {
            return self.bad(inst, at, "the Fn::Join delimiter must be a string");
        };
        match self.resolve(inst, list, &Path::Idx(at, 1)) {
            RVal::List(values) => {
                let mut parts = Vec::with_capacity(values.len() * 2);
                for (i, v) in values.into_iter().enumerate() {
                    if i > 0 {
                        parts.push(RVal::Str(delim.to_owned()));
                    }
                    match v {
                        RVal::List(_) | RVal::Map(_) => {
                            return self.bad(inst, at, "Fn::Join values must be strings")
                        }
                        v => parts.push(v),
                    }
                }
                concat(parts)
            }
            other @ (RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_)) => other.to_unknown(),
            _ => self.bad(inst, at, "Fn::Join takes [delimiter, [values]]"),
        }
    }

    pub(super) fn select(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::Select takes [index, [values]]");
        };
        let [index, list] = items.as_slice() else {
            return self.bad(inst, at, "Fn::Select takes [index, [values]]");
        };
        let index = self.resolve(inst, index, &Path::Idx(at, 0));
        let list = self.resolve(inst, list, &Path::Idx(at, 1));
        let i = match &index {
            RVal::Num(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
            RVal::Str(s) => s.trim().parse::<usize>().ok(),
            _ => return list.to_unknown(),
        };
        let Some(i) = i else {
            return self.bad(
                inst,
                at,
                "the Fn::Select index must be a non-negative integer",
            );
        };
        match list {
            RVal::List(mut values) => {
                if i < values.len() {
                    values.swap_remove(i)
                } else {
                    self.bad(
                        inst,
                        at,
                        format!(
                            "Fn::Select index {i} is out of range ({} values)",
                            values.len()
                        ),
                    )
                }
            }
            other @ (RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_)) => other.to_unknown(),
            _ => self.bad(inst, at, "Fn::Select takes [index, [values]]"),
        }
    }

    pub(super) fn split(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::Split takes [delimiter, string]");
        };
        let [delim, source] = items.as_slice() else {
            return self.bad(inst, at, "Fn::Split takes [delimiter, string]");
        };
        let Some(delim) = delim.as_str().filter(|d| !d.is_empty()) else {
            return self.bad(
                inst,
                at,
                "the Fn::Split delimiter must be a non-empty string",
            );
        };
        match self.resolve(inst, source, &Path::Idx(at, 1)) {
            RVal::Str(s) => RVal::List(s.split(delim).map(|p| RVal::Str(p.to_owned())).collect()),
            other @ (RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_)) => other.to_unknown(),
            _ => self.bad(inst, at, "Fn::Split takes [delimiter, string]"),
        }
    }

    pub(super) fn find_in_map(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::FindInMap takes [MapName, TopKey, SecondKey]");
        };
        if !(items.len() == 3 || items.len() == 4) {
            return self.bad(inst, at, "Fn::FindInMap takes [MapName, TopKey, SecondKey]");
        }
        let default = items.get(3).map(|d| match d.get("DefaultValue") {
            Some(v) => self.resolve(inst, v, &Path::Idx(at, 3)),
            None => self.bad(
                inst,
                at,
                "the fourth Fn::FindInMap argument must be {DefaultValue: …}",
            ),
        });
        let mut keys = Vec::with_capacity(3);
        for (i, k) in items.iter().take(3).enumerate() {
            match self.resolve(inst, k, &Path::Idx(at, i)) {
                v @ (RVal::Str(_) | RVal::Num(_) | RVal::Bool(_)) => {
                    keys.push(v.scalar_str().unwrap_or_default());
                }
                other => {
                    let mut refs = other.refs();
                    if let Some(d) = &default {
                        refs.extend(d.refs());
                    }
                    return RVal::Unknown(refs);
                }
            }
        }
        let found = self
            .template(inst)
            .root
            .get("Mappings")
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]));
        match (found, default) {
            (Some(v), _) => RVal::from_json(v),
            (None, Some(d)) => d,
            (None, None) => self.bad(
                inst,
                at,
                format!(
                    "Fn::FindInMap: mapping `{}` has no entry `{}`/`{}`",
                    keys[0], keys[1], keys[2]
                ),
            ),
        }
    }

    pub(super) fn fn_if(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(
                inst,
                at,
                "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]",
            );
        };
        let [cond, then, other] = items.as_slice() else {
            return self.bad(
                inst,
                at,
                "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]",
            );
        };
        let Some(cond) = cond.as_str() else {
            return self.bad(inst, at, "the Fn::If condition must be a condition name");
        };
        match self.condition(inst, cond, at) {
            Truth::True => self.resolve(inst, then, &Path::Idx(at, 1)),
            Truth::False => self.resolve(inst, other, &Path::Idx(at, 2)),
            Truth::Unknown => RVal::either(
                cond,
                self.resolve(inst, then, &Path::Idx(at, 1)),
                self.resolve(inst, other, &Path::Idx(at, 2)),
            ),
        }
    }
}

/// Standard base64 with padding (`Fn::Base64`).
pub(super) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
