pub mod extension;
pub mod function;
pub mod trigger;
pub mod view;
