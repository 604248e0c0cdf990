//! The real system keyring on Linux: a private D-Bus session with
//! gnome-keyring's Secret Service, entries written by `secret-tool` as the
//! SailPoint CLI's keyring library writes them (attributes `service` and
//! `username`), read by `sail-access`. Skipped, saying so, when the programs
//! are absent (`.ci/run` installs them: gnome-keyring, libsecret-tools).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::{bare_command, run, Tenant};

/// A session bus that lets everyone own and call anything, and activates
/// nothing.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// How long the daemons may take to come up.
const START_LIMIT: Duration = Duration::from_secs(15);

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A D-Bus session bus and an unlocked gnome-keyring on it, both stopped
/// (by pid) when dropped.
struct SecretService {
    address: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SecretService {
    /// `None` (with a note on stderr) when the programs are not installed.
    fn start() -> Option<Self> {
        for program in ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"] {
            if !installed(program) {
                eprintln!("skipped: {program} is not installed (Debian: dbus-daemon, gnome-keyring, libsecret-tools)");
                return None;
            }
        }
        // Short and below /tmp: unix socket paths (the bus, the keyring's
        // control socket) must stay under 108 bytes wherever CI clones.
        let dir = std::env::temp_dir().join(format!("sa-ss-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["home", "run", "data"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let mut service = Self {
            address: String::new(),
            dir: dir.clone(),
            children: Vec::new(),
        };
        // A session bus without service activation: the system's
        // org.freedesktop.secrets service file would otherwise start a second,
        // locked gnome-keyring that takes the name before ours.
        let config = dir.join("bus.conf");
        std::fs::write(&config, BUS_CONFIG).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dbus-daemon");
        let stdout = bus.stdout.take().unwrap();
        service.children.push(bus);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        service.address = rx
            .recv_timeout(START_LIMIT)
            .expect("dbus-daemon printed no address")
            .trim()
            .to_owned();
        assert!(
            service.address.starts_with("unix:"),
            "dbus-daemon printed {:?}",
            service.address
        );
        let mut keyring = service
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn gnome-keyring-daemon");
        // The login keyring's password, then end of input: it is unlocked.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"sail-access-test").unwrap();
        drop(stdin);
        service.children.push(keyring);
        Some(service)
    }

    /// A command in this session (its bus, a home of its own).
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.dir.join("home"))
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .env("XDG_DATA_HOME", self.dir.join("data"));
        cmd
    }

    /// Writes an entry as `sail` does, retrying while the keyring starts.
    fn store(&self, service: &str, user: &str, secret: &str) {
        let started = Instant::now();
        loop {
            let mut child = self
                .command("secret-tool")
                .args(["store", "--label", "sail-access test"])
                .args(["service", service, "username", user])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn secret-tool");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(secret.as_bytes())
                .unwrap();
            let out = crate::harness::wait(child, START_LIMIT);
            if out.code == Some(0) {
                return;
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "secret-tool store failed: {}",
                out.stderr
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The issue's "done when" with the real Secret Service.
#[test]
fn credentials_come_from_a_real_secret_service() {
    let Some(service) = SecretService::start() else {
        return;
    };
    let t = Tenant::start("secret-service");
    service.store(
        "environments.pat.clientid",
        "acme-sbx",
        &t.handle.client_id(),
    );
    service.store(
        "environments.pat.clientsecret",
        "acme-sbx",
        &t.handle.client_secret(),
    );
    let home = t.sail_home("acme-sbx");
    let mut cmd = bare_command(
        &t.dir,
        &home,
        &["--env", "acme-sbx", "status", "-o", "json"],
    );
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &service.address)
        .env("XDG_RUNTIME_DIR", service.dir.join("run"));
    let out = run(cmd);
    out.expect(0);
    assert!(out.json().is_array(), "{}", out.stdout);
}

/// No session bus to reach: the system keyring's failure is reported as
/// "no keyring service available", naming the environment. Needs no
/// package: the bus address points nowhere.
#[test]
fn an_unreachable_secret_service_is_named() {
    let t = Tenant::start("no-secret-service");
    let home = t.sail_home("acme-sbx");
    let mut cmd = bare_command(&t.dir, &home, &["status"]);
    cmd.env(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", t.dir.join("no-bus").display()),
    );
    let out = run(cmd);
    out.expect(2);
    out.expect_stderr("no keyring service available");
    out.expect_stderr("\"acme-sbx\"");
    out.expect_stderr("environments.pat.clientsecret");
}
