//! `tidings completions SHELL` and `tidings man`: shell completions and a
//! man page, generated from the command definitions so they never drift
//! from `--help`.

use anyhow::Result;
use clap::CommandFactory;

use super::Cli;

pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "tidings", &mut std::io::stdout());
    Ok(0)
}

pub fn man() -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    // Each command's synopsis, description and options follow as a
    // section, so that `man tidings` answers questions about any of them.
    let mut cli = Cli::command();
    cli.build();
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name().to_string();
        let page = clap_mangen::Man::new(sub.clone());
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        page.render_description_section(&mut part)?;
        page.render_options_section(&mut part)?;
        out.extend_from_slice(format!(".SH \"TIDINGS {}\"\n", name.to_uppercase()).as_bytes());
        out.extend_from_slice(
            String::from_utf8_lossy(&part)
                .replace(".SH ", ".SS ")
                .as_bytes(),
        );
    }
    use std::io::Write;
    std::io::stdout().write_all(&out)?;
    Ok(0)
}
