//! Plain fluent setters, written once: most builder options only store
//! their argument and hand the builder back.

/// Setters that store their argument in a field and return the builder:
/// `name(Type) => field;`, or `=> field = Some;` for an optional field.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $($field:ident).+ $(= $wrap:ident)?;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$($field).+ = setters!(@wrap value $($wrap)?);
                self
            }
        )*
    };
    (@wrap $value:ident $wrap:ident) => {
        $wrap($value)
    };
    (@wrap $value:ident) => {
        $value
    };
}
pub(crate) use setters;
