//! The program's command line as documents (`tests/cmd/*.toml`): `--help`
//! with every flag and the control API (exit 0), a wrong flag or value
//! named (exit 2).

#[test]
fn help_and_wrong_flags_read_as_documented() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
