//! Secrets kept out of the config file: read from the variable a `*_env`
//! key names or the file a `*_file` key names. Must not decide which keys
//! take secrets (the sections do); see ARCHITECTURE.md, "Codemap"
//! (`config`).

use std::path::Path;

/// A secret kept out of the config file: the value of the variable
/// `*_env` names, or the content of the file `*_file` names (a leading
/// `$CREDENTIALS_DIRECTORY/` is where systemd's `LoadCredential=` puts
/// it), with trailing line ends removed. `Err` is the message for the
/// key at fault.
pub(super) fn read_secret(
    key: &str,
    env: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<String>, String> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(Some)
            .map_err(|_| format!("{key}_env: ${var} is not set"));
    }
    let Some(file) = file else { return Ok(None) };
    let path = match file.strip_prefix("$CREDENTIALS_DIRECTORY") {
        Ok(rest) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
            Some(dir) => Path::new(&dir).join(rest),
            None => {
                return Err(format!(
                    "{key}_file: $CREDENTIALS_DIRECTORY is not set (systemd sets it for a unit with LoadCredential=)"
                ))
            }
        },
        Err(_) => file.to_path_buf(),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim_end_matches(['\r', '\n']).to_string())),
        Err(e) => Err(format!("{key}_file: cannot read {}: {e}", path.display())),
    }
}
