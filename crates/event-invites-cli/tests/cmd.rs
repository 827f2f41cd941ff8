//! The tool's words as documents (`tests/cmd/*.toml`, run by trycmd): every
//! subcommand's `--help`, the usage and configuration errors, and runs on
//! the built-in fake servers (`--demo`). A change of wording is a diff to
//! review: `TRYCMD=overwrite cargo test -p event-invites-cli --test cmd`
//! rewrites the expected text, `git diff` shows it.

#[test]
fn the_tool_says_what_the_documents_say() {
    // Empty counts as not set: no case reaches a real API.
    trycmd::TestCases::new()
        .env("NO_COLOR", "1")
        .env("SECUREGATE_API_KEY", "")
        .env("ARTSVP_API_KEY", "")
        .env("SECUREGATE_BASE_URL", "")
        .env("ARTSVP_BASE_URL", "")
        .case("tests/cmd/*.toml");
}
