//! Dynamic references: `{{resolve:ssm:NAME}}`, `{{resolve:ssm:NAME:VERSION}}`,
//! `{{resolve:ssm-secure:NAME}}` and `{{resolve:secretsmanager:…}}` in template strings.
//!
//! CloudFormation replaces them at deploy time with the value stored under that name. When the
//! inputs declare the `AWS::SSM::Parameter` that holds the name, its `Value` is that value (a
//! key ARN through `!GetAtt Key.Arn` then links to the key); otherwise the text is unknown
//! until deploy — a hole in a partial string, never the literal `{{resolve:…}}` text, which
//! matches nothing and would drop the access it grants.

use super::fasthash::FastMap;
use super::resolve::Ctx;
use super::rval::{concat, RVal};
use serde_json::Value;
use std::rc::Rc;

const OPEN: &str = "{{resolve:";

/// Most dynamic references expanded in one string.
const MAX_REFS: usize = 64;

impl Ctx<'_> {
    /// A template string with its dynamic references expanded.
    pub(crate) fn string_value(&self, inst: usize, s: &str) -> RVal {
        if !s.contains(OPEN) {
            return RVal::Str(s.to_owned());
        }
        let mut parts = Vec::new();
        let mut rest = s;
        let mut n = 0;
        while let Some(start) = rest.find(OPEN) {
            let after = &rest[start + OPEN.len()..];
            let Some(end) = after.find("}}") else {
                break;
            };
            n += 1;
            if n > MAX_REFS {
                parts.push(RVal::unknown());
                rest = "";
                break;
            }
            parts.push(RVal::Str(rest[..start].to_owned()));
            parts.push(self.dynamic_reference(inst, &after[..end]));
            rest = &after[end + 2..];
        }
        parts.push(RVal::Str(rest.to_owned()));
        concat(parts)
    }

    /// The value of one dynamic reference (`ssm:NAME[:VERSION]`, …).
    fn dynamic_reference(&self, inst: usize, body: &str) -> RVal {
        let (service, rest) = body.split_once(':').unwrap_or((body, ""));
        let label = format!("{{{{resolve:{body}}}}}");
        if matches!(service, "ssm" | "ssm-secure") {
            // Parameter names hold no `:`; what follows one is a version.
            let name = rest.split(':').next().unwrap_or(rest);
            if let Some(v) = self.ssm_parameter_value(inst, name) {
                return v;
            }
        }
        RVal::reference(&label, None)
    }

    /// The value of the `AWS::SSM::Parameter` of this template named `name`, when declared.
    pub(crate) fn ssm_parameter_value(&self, inst: usize, name: &str) -> Option<RVal> {
        let names = self.ssm_names(inst);
        let logical = names.get(name.trim().trim_start_matches('/'))?;
        let props = self.nested((7, inst, logical), || self.props(inst, logical))?;
        props.get("Value").cloned()
    }

    /// The SSM parameters of an instance's template by literal name (without a leading `/`),
    /// indexed once per template.
    fn ssm_names(&self, inst: usize) -> Rc<FastMap<String, String>> {
        let t = self.instances[inst].template;
        if let Some(m) = self.ssm_names.borrow().get(&t) {
            return Rc::clone(m);
        }
        let mut m = FastMap::default();
        for (logical, r) in self.template(inst).resources().into_iter().flatten() {
            let declared = (r.get("Type").and_then(Value::as_str) == Some("AWS::SSM::Parameter"))
                .then(|| r.get("Properties")?.get("Name")?.as_str())
                .flatten();
            if let Some(n) = declared {
                m.entry(n.trim_start_matches('/').to_owned())
                    .or_insert_with(|| logical.clone());
            }
        }
        let m = Rc::new(m);
        self.ssm_names.borrow_mut().insert(t, Rc::clone(&m));
        m
    }
}
