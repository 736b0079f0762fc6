//! Facts about the deployment found in a plan: tags, account id and Region.

use super::attrs::{AttrResult, Attrs};
use super::config::ConfigIndex;
use crate::model::{Kind, Resource, Tags, Val};
use serde_json::{Map, Value};

/// Tags of a resource: `tags_all` where known, else `tags` merged over the provider's
/// constant `default_tags`; unknown when the tags are unknown until apply.
pub(crate) fn tags(
    a: &Attrs,
    config: &ConfigIndex,
    resource_config: Option<&Map<String, Value>>,
) -> AttrResult<Tags> {
    if let Some(Val::Known(all)) = a.string_map("tags_all")? {
        return Ok(Val::Known(all));
    }
    let taggable = a.has_key("tags") || a.has_key("tags_all");
    let mut merged = match config.default_tags(resource_config) {
        Some(d) if taggable => d.clone(),
        _ => std::collections::BTreeMap::new(),
    };
    match a.string_map("tags")? {
        Some(Val::Known(own)) => {
            merged.extend(own);
            Ok(Val::Known(merged))
        }
        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Ok(Val::Unknown),
        None => Ok(Val::Known(merged)),
    }
}

/// The account of a known ARN (`arn:aws:iam::111122223333:role/x` -> `111122223333`).
fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let account = parts.nth(3)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The Region of a known ARN.
fn arn_region(arn: &str) -> Option<&str> {
    let region = arn.split(':').nth(3)?;
    (!region.is_empty()).then_some(region)
}

fn known_arn(kind: &Kind) -> Option<&str> {
    let v = match kind {
        Kind::Role(r) => r.arn.as_ref(),
        Kind::Key(k) => k.arn.as_ref(),
        Kind::User(u) => u.arn.as_ref(),
        Kind::Group(g) => g.arn.as_ref(),
        Kind::ManagedPolicy(p) => p.arn.as_ref(),
        _ => None,
    };
    v.and_then(Val::known).map(String::as_str)
}

/// The account the plan deploys into: `data.aws_caller_identity`, else the first account in a
/// known role, key, user, group or policy ARN (resources in id order).
pub(crate) fn account_id(resources: &[&Resource]) -> Option<String> {
    let from_identity = resources.iter().find_map(|r| match &r.kind {
        Kind::CallerIdentity(c) => c
            .account_id
            .as_ref()
            .and_then(Val::known)
            .filter(|a| !a.is_empty())
            .cloned(),
        _ => None,
    });
    from_identity.or_else(|| {
        resources
            .iter()
            .find_map(|r| known_arn(&r.kind).and_then(arn_account).map(str::to_owned))
    })
}

/// The Region: the default provider's constant `region`, else the Region of a known key ARN.
pub(crate) fn region(config: &ConfigIndex, resources: &[&Resource]) -> Option<String> {
    config.region.clone().or_else(|| {
        resources.iter().find_map(|r| match &r.kind {
            Kind::Key(k) => k
                .arn
                .as_ref()
                .and_then(Val::known)
                .and_then(|a| arn_region(a))
                .map(str::to_owned),
            _ => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_regions_of_arns() {
        assert_eq!(
            arn_account("arn:aws:iam::111122223333:role/app"),
            Some("111122223333")
        );
        assert_eq!(arn_account("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
        assert_eq!(arn_account("not-an-arn"), None);
        assert_eq!(
            arn_region("arn:aws:kms:eu-west-1:111122223333:key/abc"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:iam::111122223333:role/app"), None);
    }
}
