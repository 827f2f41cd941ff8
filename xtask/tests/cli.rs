//! The task runner's command line as documents (`tests/cmd/*.toml`): every
//! task answers `--help` with exit 0, and a wrong flag is named with exit 2.

#[test]
fn every_task_answers_help_and_a_wrong_flag_is_named() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
