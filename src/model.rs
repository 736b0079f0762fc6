//! The resource model shared by every input format and every later stage.

pub mod estate;
pub mod policy;
pub mod resource;
pub mod value;

pub use estate::{Context, Estate, InlineSuppression, Note, Parsed};
pub use policy::{Condition, Effect, PolicyDocument, PrincipalType, Principals, Statement};
pub use resource::*;
pub use value::{Hole, HoleClass, Part, Partial, Reference, VStr, Val};
