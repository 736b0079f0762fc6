//! The command line (clap derive). Its shape is fixed by the output contract.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// keyreach: who can read, write and administer each KMS-partitioned data domain, decided
/// from infrastructure as code (Terraform plans, Terraform source, CloudFormation) before it is
/// applied. Offline and read-only: it never calls AWS and never runs terraform.
#[derive(Debug, Parser)]
#[command(name = "keyreach", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse the inputs as one estate: domains, who can read/write/administer them, findings.
    Analyze(AnalyzeArgs),
    /// Show what keyreach understood from the inputs: keys, aliases, grants, principals,
    /// policies, trust, stores and the links between them.
    Inventory(InventoryArgs),
    /// What a change does to who can read, write and administer each domain: the access
    /// changes between the estate before and after a Terraform plan (`keyreach diff PLAN`), or
    /// between two sets of inputs (`keyreach diff --base OLD... --head NEW...`).
    Diff(DiffArgs),
    /// List the rules keyreach checks.
    Rules(RulesArgs),
    /// Explain one rule: what it detects, why it is risky, how to fix it.
    Rule(RuleArgs),
    /// Explain why principals can (or cannot) read, write or administer one domain: the
    /// decision as a tree, one branch per path, with every layer, statement and undecided
    /// condition.
    Explain(ExplainArgs),
}

/// Options shared by every command that reads inputs.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Inputs: Terraform plan JSON (`terraform show -json plan.out`), CloudFormation templates
    /// (JSON or YAML, SAM and CDK output included), or directories of Terraform `.tf` files.
    /// Several inputs are analysed as one estate.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Force the kind of every input instead of detecting it from the content.
    #[arg(long, value_enum, value_name = "KIND")]
    pub input_kind: Option<InputKind>,

    /// The AWS account the input deploys into. Used wherever the input does not show it
    /// (CloudFormation `AWS::AccountId`, ARNs of resources not yet created).
    #[arg(long, value_name = "ACCOUNT")]
    pub account_id: Option<String>,

    /// The Region the input deploys into (CloudFormation `AWS::Region`).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// The AWS Organizations id the account belongs to; decides `aws:PrincipalOrgID`
    /// conditions (otherwise they are undecided and access they gate is `conditional`).
    #[arg(long, value_name = "ORG_ID")]
    pub org_id: Option<String>,

    /// Tag key naming a data domain (repeatable). Default: DataDomain, data-domain, data_domain.
    #[arg(long = "domain-tag", value_name = "KEY")]
    pub domain_tags: Vec<String>,

    /// CloudFormation parameter value (repeatable), overriding the template default.
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// CloudFormation parameter file (repeatable): `[{"ParameterKey":…,"ParameterValue":…}]`
    /// or `{"Parameters": {…}}`.
    #[arg(long = "parameter-file", value_name = "FILE")]
    pub parameter_files: Vec<PathBuf>,

    /// Terraform variable for source input (repeatable), as `name=value`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Terraform variable file for source input (repeatable): `.tfvars` or `.tfvars.json`.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Inputs and input options.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Findings at or above this severity make the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Configuration file with expected access and suppressions (default: keyreach.yaml in
    /// the current directory or its parents).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// With `--format dot` or `mermaid`: draw only this domain (repeatable).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Vec<String>,

    /// With `--format markdown`: include a Mermaid picture of the domains (`auto`: when the
    /// picture is small enough for the comment).
    #[arg(long, value_enum, default_value_t = Picture::Auto, value_name = "WHEN")]
    pub picture: Picture,

    /// When the plan changes existing resources: exit 1 when the change adds access of this
    /// capability or above (read < write < admin; `no` -> `conditional` counts) for a
    /// principal the configuration does not expect in that domain.
    #[arg(long, value_enum, default_value_t = NewAccess::Never, value_name = "CAPABILITY")]
    pub fail_on_new_access: NewAccess,
}

/// When the Markdown report includes a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Picture {
    /// When it fits comfortably in a pull-request comment.
    Auto,
    /// Always (still cut to stay within the comment limit).
    Always,
    /// Never.
    Never,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Inputs and input options.
    #[command(flatten)]
    pub input: InputArgs,

    /// The domain to explain (as `analyze` names it). Required; `keyreach explain KR003`
    /// without it explains a rule, as `keyreach rule KR003` does.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,

    /// The principal to explain: its id in the input, its ARN, or the last segment of its ARN.
    /// Without it every principal of the domain is explained.
    #[arg(long, value_name = "PRINCIPAL")]
    pub principal: Option<String>,

    /// Explain only this capability (repeatable; default all three).
    #[arg(long, value_enum, value_name = "CAPABILITY")]
    pub capability: Vec<CapabilityArg>,

    /// Output format (`table` prints the tree as text, `json` gives the same tree).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the explanation to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Capabilities `explain` can be asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CapabilityArg {
    /// `kms:Decrypt` and the other read actions.
    Read,
    /// `kms:Encrypt`, `kms:GenerateDataKey*` and the other write actions.
    Write,
    /// Key administration (`kms:PutKeyPolicy`, `kms:CreateGrant`, deletion, ...).
    Admin,
}

/// `diff`.
#[derive(Debug, Args)]
#[command(mut_arg("inputs", |a| a.required(false)))]
pub struct DiffArgs {
    /// Inputs and input options. Positional inputs: a Terraform plan (or several) whose before
    /// and after estates are compared.
    #[command(flatten)]
    pub input: InputArgs,

    /// The inputs before the change (analysed as one estate); with --head.
    #[arg(long, num_args = 1.., value_name = "PATH", requires = "head")]
    pub base: Vec<PathBuf>,

    /// The inputs after the change (analysed as one estate); with --base.
    #[arg(long, num_args = 1.., value_name = "PATH", requires = "base")]
    pub head: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Exit 1 when the change adds access of this capability or above (read < write < admin;
    /// `no` -> `conditional` counts) for a principal the configuration does not expect in that
    /// domain. A domain's `fail_on_new_access` in keyreach.yaml overrides it.
    #[arg(long, value_enum, default_value_t = NewAccess::Never, value_name = "CAPABILITY")]
    pub fail_on_new_access: NewAccess,

    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Configuration file with expected access (default: keyreach.yaml in the current
    /// directory or its parents).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `--fail-on-new-access` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum NewAccess {
    /// Any new access fails: read, write or admin.
    Read,
    /// New write or admin access fails.
    Write,
    /// Only new admin access fails.
    Admin,
    /// Never fail on new access.
    Never,
}

/// `inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Inputs and input options.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format (`table` or `json`).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format (`table` or `json`).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `rule`.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code, e.g. KR001.
    pub code: String,
}

/// Input kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    /// Terraform plan JSON.
    Tfplan,
    /// CloudFormation template (JSON or YAML; SAM and CDK output included).
    Cfn,
    /// Directory of Terraform source files.
    Hcl,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable table, grouped by domain.
    Table,
    /// The JSON document of the output contract.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// A Graphviz DOT picture of the domains (`analyze` only).
    Dot,
    /// A Mermaid flowchart of the domains (`analyze` only).
    Mermaid,
}

/// `--fail-on` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only critical findings fail.
    Critical,
    /// High and critical findings fail (default).
    High,
    /// Medium and above fail.
    Medium,
    /// Low and above fail.
    Low,
    /// Never fail on findings.
    Never,
}
