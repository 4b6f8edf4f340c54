//! Policy packs: YAML files of rules in CEL that turn a release's evidence into findings, one
//! per rule, with the article each rule reads (DESIGN.md §3.5).
//!
//! Flow: [`pack::load`] reads and checks a pack (every expression compiled, every name and
//! `scelle.yaml` field checked); [`facts::Facts`] turns a manifest into what expressions see;
//! [`eval::evaluate`] runs a pack over them; [`check`] does it for every pack and keeps the
//! positions findings point at. Thresholds and dates live in the packs, not here.

pub mod budget;
pub mod builtin;
pub mod casebook;
pub mod check;
pub mod derived;
pub mod eval;
pub mod expr;
pub mod facts;
pub mod figures;
pub mod functions;
pub mod needs;
pub mod pack;
pub mod published;

pub use check::{CheckReport, Subject};
pub use eval::{Counts, PackResult, RuleResult, Stage};
pub use facts::{Facts, VerificationFacts};
pub use pack::{LoadError, Pack};
