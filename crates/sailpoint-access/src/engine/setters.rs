//! Plain fluent setters, written once: most builder options only store
//! their argument and hand the builder back.

/// Setters that store their argument (converted with `Into`, so that a
/// setter may take `impl Into<String>`) in a field and return the builder:
/// `name(Type) => field;`, or `=> field = Some;` for an optional field.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $($field:ident).+ $(= $wrap:ident)?;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$($field).+ = setters!(@wrap value.into() $(, $wrap)?);
                self
            }
        )*
    };
    (@wrap $value:expr, $wrap:ident) => {
        $wrap($value)
    };
    (@wrap $value:expr) => {
        $value
    };
}
pub(crate) use setters;
