//! Plain fluent setters, written once: most builder options only store
//! their argument and hand the builder back, and most optional parameters
//! are passed on to a generated builder only when set.

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

/// Setters that add strings to a list field: `name => field;` takes any
/// iterable of `Into<String>` values.
macro_rules! list_setters {
    ($($(#[$doc:meta])* $name:ident => $($field:ident).+;)*) => {
        $(
            $(#[$doc])*
            pub fn $name<I, S>(mut self, values: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                self.$($field).+.extend(values.into_iter().map(Into::into));
                self
            }
        )*
    };
}
pub(crate) use list_setters;

/// Passes each optional value that is set to the builder method named after
/// it: `pass_set!(call; owner => owner_id, filters => filters)`. The value is
/// cloned, as a builder takes it by value.
macro_rules! pass_set {
    ($builder:ident; $($value:expr => $method:ident),+ $(,)?) => {
        $(
            if let Some(v) = &$value {
                $builder = $builder.$method(v.clone());
            }
        )+
    };
}
pub(crate) use pass_set;
