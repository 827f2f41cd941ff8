//! [`setters!`]: the builders' options that only assign, one line each
//! (the facade's builders are written the same way, with the same macro).

/// `pub fn name(arg: Type) => self.field = value;` with its docs becomes
/// `pub fn name(mut self, arg: Type) -> Self`, which makes the assignments
/// and returns the builder.
macro_rules! setters {
    ($(
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) => $(self.$($field:ident).+ = $value:expr),+;
    )*) => {$(
        $(#[$meta])*
        $vis fn $name(mut self, $($arg: $ty),*) -> Self {
            $(self.$($field).+ = $value;)+
            self
        }
    )*};
}
