//! [`setters!`]: builder methods that set a field, one line each.

/// Builder setters, one line each, with their docs:
///
/// ```text
/// setters! {
///     /// The longest single wait.
///     pub fn max_delay(delay: Duration) => self.max_delay = delay;
///     /// Tokens a retry costs (at least 1).
///     pub fn retry_cost(n: u32) => self.retry_cost = n.max(1);
/// }
/// ```
///
/// Each becomes `pub fn max_delay(mut self, delay: Duration) -> Self`, which
/// makes the assignments and returns the builder. A setter that does more
/// than assign is written out by hand beside them.
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
