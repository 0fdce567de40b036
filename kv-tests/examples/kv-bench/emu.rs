//! The emulator under test, in its own process: spawned from the `kv-emulator` binary of this
//! executable's profile directory (built with cargo if it is missing), killed when the guard
//! drops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};

/// A running `kv-emulator` child process; killed and reaped on drop (also on a panic or an
/// early return with an error).
pub struct EmulatorProcess {
    child: Child,
    /// Kept open so the emulator never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
    base_url: String,
}

impl EmulatorProcess {
    /// Spawns `kv-emulator --listen 127.0.0.1:0` and reads the base URL from its first line.
    // Each example sharing this module (`#[path]`) uses one of `spawn` and `spawn_with`.
    #[allow(dead_code)]
    pub fn spawn(threads: Option<usize>) -> Result<EmulatorProcess, String> {
        EmulatorProcess::spawn_with(threads, &[], false)
    }

    /// Like [`spawn`](Self::spawn), with `extra` arguments after `--listen` (e.g.
    /// `--latency 100 --log-requests`); with `capture_stderr`, the emulator's stderr is a pipe
    /// to read with [`take_stderr`](Self::take_stderr) (read it, or the emulator blocks once
    /// the pipe is full), else it is inherited.
    pub fn spawn_with(
        threads: Option<usize>,
        extra: &[String],
        capture_stderr: bool,
    ) -> Result<EmulatorProcess, String> {
        let exe = emulator_path()?;
        let mut cmd = Command::new(&exe);
        cmd.args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
        if let Some(n) = threads {
            cmd.args(["--threads", &n.to_string()]);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the emulator's stdout was not captured".into());
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let base_url = line.trim().to_owned();
        let guard = EmulatorProcess {
            child,
            _stdout: stdout,
            base_url,
        };
        match read {
            Ok(_) if guard.base_url.starts_with("http://") => Ok(guard),
            Ok(_) => Err(format!(
                "{} printed {:?} instead of a base URL",
                exe.display(),
                guard.base_url
            )),
            Err(e) => Err(format!("reading the emulator's first line: {e}")),
        }
    }

    /// `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The emulator's process id.
    #[allow(dead_code)] // see `spawn`
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The emulator's stderr, once, if it was spawned with `capture_stderr`.
    #[allow(dead_code)] // see `spawn`
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kv-emulator` in this executable's profile directory (`target/<profile>/`, the parent of
/// `examples/`); when it is not there, builds it with the same profile and target directory
/// (`cargo build -p kv-tests --bin kv-emulator`).
fn emulator_path() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir =
        profile_dir(&me).ok_or_else(|| format!("no profile directory above {}", me.display()))?;
    let exe = dir.join(format!("kv-emulator{}", std::env::consts::EXE_SUFFIX));
    if exe.is_file() {
        return Ok(exe);
    }
    let cmd_text = build_command_text(&me);
    eprintln!(
        "kv-bench: {} not found; building it: {cmd_text}",
        exe.display()
    );
    let status = build_command(&me)
        .status()
        .map_err(|e| format!("cannot run cargo ({e}); build the emulator first: {cmd_text}"))?;
    if status.success() && exe.is_file() {
        Ok(exe)
    } else {
        Err(format!(
            "could not build {}; build it first with: {cmd_text} (or pass --emulator-url)",
            exe.display()
        ))
    }
}

/// `target/<profile>/` for an executable in it or in its `examples/` folder.
fn profile_dir(me: &Path) -> Option<&Path> {
    let dir = me.parent()?;
    if dir.file_name()? == "examples" {
        dir.parent()
    } else {
        Some(dir)
    }
}

/// The profile directory (`release`, `debug`, ...) and the target directory above it.
fn profile_and_target_dir(me: &Path) -> Option<(String, PathBuf)> {
    let profile_dir = profile_dir(me)?;
    let profile = profile_dir.file_name()?.to_str()?.to_owned();
    Some((profile, profile_dir.parent()?.to_path_buf()))
}

fn profile_args(me: &Path) -> Vec<String> {
    let mut args = Vec::new();
    if let Some((profile, target)) = profile_and_target_dir(me) {
        match profile.as_str() {
            "debug" => {}
            "release" => args.push("--release".to_owned()),
            other => args.extend(["--profile".to_owned(), other.to_owned()]),
        }
        args.extend(["--target-dir".to_owned(), target.display().to_string()]);
    }
    args
}

fn build_command(me: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .args(["-p", "kv-tests", "--bin", "kv-emulator"])
        .args(profile_args(me))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    cmd
}

fn build_command_text(me: &Path) -> String {
    format!(
        "cargo build -p kv-tests --bin kv-emulator {}",
        profile_args(me).join(" ")
    )
}
