//! The AWS KMS action catalogue (kms-semantics §2) and action-pattern matching.
//!
//! Every KMS action the Service Authorization Reference lists is here with keyreach's class and
//! whether it works on a key in another account ([K-XACCT]: cryptographic operations,
//! CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant,
//! RevokeGrant; administrative actions never do). Action patterns are matched case-insensitively
//! with `*` and `?` anywhere, for any service (`*`, `kms:*`, `kms:ReEncrypt*`,
//! `sts:AssumeRole*`).

use super::wildcard;

/// What an action lets the caller do with the data under a key (kms-semantics §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionClass {
    /// Obtain plaintext of existing ciphertext (contract column `read`).
    Read,
    /// Create ciphertext, data keys, signatures or MACs (contract column `write`).
    Write,
    /// Escalate to read/write for oneself or others: CreateGrant, PutKeyPolicy, ReplicateKey
    /// (contract column `admin`).
    Esc,
    /// Lifecycle, configuration, tagging, aliases, grant removal (contract column `admin`).
    /// Tagging and alias actions escalate when a policy uses `aws:ResourceTag` or
    /// `kms:ResourceAliases` ([`KmsAction::abac_escalation`]).
    Admin,
    /// Metadata reads (no column).
    Cfg,
    /// Not scoped to a key (IAM only, `Resource: "*"`); meaningless in a key policy.
    NoKey,
    /// Used only by KMS itself (SynchronizeMultiRegionKey).
    Internal,
}

/// One KMS action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KmsAction {
    /// Name without the `kms:` prefix, as AWS spells it.
    pub name: &'static str,
    /// Class.
    pub class: ActionClass,
    /// Works on a key in another account.
    pub cross_account: bool,
    /// Tagging or alias action: escalates when access depends on `aws:ResourceTag` /
    /// `kms:ResourceAliases`.
    pub abac_escalation: bool,
}

const fn a(name: &'static str, class: ActionClass, cross_account: bool) -> KmsAction {
    KmsAction {
        name,
        class,
        cross_account,
        abac_escalation: false,
    }
}

const fn abac(name: &'static str) -> KmsAction {
    KmsAction {
        name,
        class: ActionClass::Admin,
        cross_account: false,
        abac_escalation: true,
    }
}

use ActionClass::{Admin, Cfg, Esc, Internal, NoKey, Read, Write};

/// Every KMS action, sorted by name.
pub static KMS_ACTIONS: &[KmsAction] = &[
    a("CancelKeyDeletion", Admin, false),
    a("ConnectCustomKeyStore", NoKey, false),
    abac("CreateAlias"),
    a("CreateCustomKeyStore", NoKey, false),
    a("CreateGrant", Esc, true),
    a("CreateKey", NoKey, false),
    a("Decrypt", Read, true),
    abac("DeleteAlias"),
    a("DeleteCustomKeyStore", NoKey, false),
    a("DeleteImportedKeyMaterial", Admin, false),
    a("DeriveSharedSecret", Read, true),
    a("DescribeCustomKeyStores", NoKey, false),
    a("DescribeKey", Cfg, true),
    a("DisableKey", Admin, false),
    a("DisableKeyRotation", Admin, false),
    a("DisconnectCustomKeyStore", NoKey, false),
    a("EnableKey", Admin, false),
    a("EnableKeyRotation", Admin, false),
    a("Encrypt", Write, true),
    a("GenerateDataKey", Write, true),
    a("GenerateDataKeyPair", Write, true),
    a("GenerateDataKeyPairWithoutPlaintext", Write, true),
    a("GenerateDataKeyWithoutPlaintext", Write, true),
    a("GenerateMac", Write, true),
    a("GenerateRandom", NoKey, false),
    a("GetKeyLastUsage", Cfg, false),
    a("GetKeyPolicy", Cfg, false),
    a("GetKeyRotationStatus", Cfg, true),
    a("GetParametersForImport", Admin, false),
    a("GetPublicKey", Cfg, true),
    a("ImportKeyMaterial", Admin, false),
    a("ListAliases", NoKey, false),
    a("ListGrants", Cfg, true),
    a("ListKeyPolicies", Cfg, false),
    a("ListKeyRotations", Cfg, false),
    a("ListKeys", NoKey, false),
    a("ListResourceTags", Cfg, false),
    a("ListRetirableGrants", NoKey, false),
    a("PutKeyPolicy", Esc, false),
    a("ReEncryptFrom", Read, true),
    a("ReEncryptTo", Write, true),
    a("ReplicateKey", Esc, false),
    a("RetireGrant", Admin, true),
    a("RevokeGrant", Admin, true),
    a("RotateKeyOnDemand", Admin, false),
    a("ScheduleKeyDeletion", Admin, false),
    a("Sign", Write, true),
    a("SynchronizeMultiRegionKey", Internal, false),
    abac("TagResource"),
    abac("UntagResource"),
    abac("UpdateAlias"),
    a("UpdateCustomKeyStore", NoKey, false),
    a("UpdateKeyDescription", Admin, false),
    a("UpdatePrimaryRegion", Admin, false),
    a("Verify", Cfg, true),
    a("VerifyMac", Cfg, true),
];

/// The name of `action` without a case-insensitive `kms:` prefix, or `None` when the action
/// belongs to another service.
#[must_use]
pub fn strip_kms_prefix(action: &str) -> Option<&str> {
    let b = action.as_bytes();
    if b.len() >= 4 && b[..4].eq_ignore_ascii_case(b"kms:") {
        return Some(&action[4..]);
    }
    if b.contains(&b':') {
        None
    } else {
        Some(action)
    }
}

/// Looks up an action by name, with or without the `kms:` prefix, case-insensitively.
#[must_use]
pub fn kms_action(action: &str) -> Option<&'static KmsAction> {
    let name = strip_kms_prefix(action)?;
    // Usually spelled as AWS spells it; otherwise fall back to a case-insensitive search (the
    // catalogue is sorted case-insensitively as well, tested).
    KMS_ACTIONS
        .binary_search_by(|a| a.name.cmp(name))
        .or_else(|_| KMS_ACTIONS.binary_search_by(|a| cmp_ci(a.name, name)))
        .ok()
        .map(|i| &KMS_ACTIONS[i])
}

fn cmp_ci(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// True when the action pattern (`kms:Decrypt`, `kms:*`, `*`, `kms:ReEncrypt*`,
/// `sts:AssumeRole*`) matches `action` (`kms:Decrypt`). Case-insensitive; `*` and `?` anywhere.
#[must_use]
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.as_bytes(), action.as_bytes());
    // Fast paths for the shapes nearly every policy uses: `*`, a literal action, or a
    // literal prefix followed by one trailing `*` (`kms:*`, `kms:Create*`).
    match p.iter().position(|&b| b == b'*' || b == b'?') {
        None => p.eq_ignore_ascii_case(a),
        Some(i) if i + 1 == p.len() && p[i] == b'*' => {
            a.len() >= i && a[..i].eq_ignore_ascii_case(&p[..i])
        }
        Some(_) => wildcard::matches(pattern, action, true, true),
    }
}

/// The KMS actions a pattern covers (empty for patterns of other services).
pub fn expand_kms_pattern(pattern: &str) -> impl Iterator<Item = &'static KmsAction> + '_ {
    KMS_ACTIONS.iter().filter(move |a| {
        // Compare against the prefixed form without allocating: split the pattern at its
        // first `:` when the service part is literally `kms`, else match the whole string.
        match pattern.split_once(':') {
            Some((svc, name)) if svc.eq_ignore_ascii_case("kms") => {
                wildcard::matches(name, a.name, true, true)
            }
            _ => {
                let mut buf = [0u8; 64];
                let full = prefixed(a.name, &mut buf);
                wildcard::matches(pattern, full, true, true)
            }
        }
    })
}

fn prefixed<'b>(name: &str, buf: &'b mut [u8; 64]) -> &'b str {
    let n = name.len().min(60);
    buf[..4].copy_from_slice(b"kms:");
    buf[4..4 + n].copy_from_slice(&name.as_bytes()[..n]);
    std::str::from_utf8(&buf[..4 + n]).unwrap_or("kms:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &str) -> Vec<&'static str> {
        expand_kms_pattern(p).map(|a| a.name).collect()
    }

    #[test]
    fn catalogue_is_sorted_and_unique() {
        for w in KMS_ACTIONS.windows(2) {
            assert!(w[0].name < w[1].name, "{} / {}", w[0].name, w[1].name);
            assert_eq!(cmp_ci(w[0].name, w[1].name), std::cmp::Ordering::Less);
        }
        for a in KMS_ACTIONS {
            assert_eq!(kms_action(&format!("kms:{}", a.name)), Some(a));
            assert_eq!(kms_action(&a.name.to_ascii_uppercase()), Some(a));
        }
    }

    #[test]
    fn fast_paths_agree_with_glob() {
        for p in [
            "*",
            "kms:*",
            "KMS:Decrypt",
            "kms:Create*",
            "kms:Re?ncrypt*",
            "kms*",
            "s3:*",
            "",
        ] {
            for a in KMS_ACTIONS {
                let action = format!("kms:{}", a.name);
                assert_eq!(
                    action_matches(p, &action),
                    wildcard::matches(p, &action, true, true),
                    "{p} {action}"
                );
            }
        }
    }

    #[test]
    fn expansions_of_spec_section_2() {
        assert_eq!(names("kms:ReEncrypt*"), ["ReEncryptFrom", "ReEncryptTo"]);
        assert_eq!(
            names("kms:GenerateDataKey*"),
            [
                "GenerateDataKey",
                "GenerateDataKeyPair",
                "GenerateDataKeyPairWithoutPlaintext",
                "GenerateDataKeyWithoutPlaintext"
            ]
        );
        assert_eq!(names("kms:Generate*").len(), 6);
        assert_eq!(names("kms:Decrypt*"), ["Decrypt"]);
        assert_eq!(
            names("kms:Create*"),
            [
                "CreateAlias",
                "CreateCustomKeyStore",
                "CreateGrant",
                "CreateKey"
            ]
        );
        assert_eq!(names("kms:Put*"), ["PutKeyPolicy"]);
        assert_eq!(
            names("kms:Get*"),
            [
                "GetKeyLastUsage",
                "GetKeyPolicy",
                "GetKeyRotationStatus",
                "GetParametersForImport",
                "GetPublicKey"
            ]
        );
        assert_eq!(
            names("kms:Delete*"),
            [
                "DeleteAlias",
                "DeleteCustomKeyStore",
                "DeleteImportedKeyMaterial"
            ]
        );
        assert_eq!(names("*").len(), KMS_ACTIONS.len());
        assert_eq!(names("KMS:*").len(), KMS_ACTIONS.len());
        assert_eq!(names("k*:Decrypt"), ["Decrypt"]);
        assert!(names("s3:*").is_empty());
    }

    #[test]
    fn lookup_and_cross_account() {
        assert_eq!(kms_action("KMS:decrypt").map(|a| a.class), Some(Read));
        assert_eq!(kms_action("Encrypt").map(|a| a.class), Some(Write));
        assert!(kms_action("s3:GetObject").is_none());
        let xa: Vec<_> = KMS_ACTIONS
            .iter()
            .filter(|a| a.cross_account)
            .map(|a| a.name)
            .collect();
        assert!(xa.contains(&"CreateGrant") && xa.contains(&"RetireGrant"));
        assert!(!xa.contains(&"PutKeyPolicy") && !xa.contains(&"ScheduleKeyDeletion"));
        assert!(action_matches(
            "sts:AssumeRole*",
            "sts:AssumeRoleWithWebIdentity"
        ));
    }
}
