//! The SSH side of a replay: any login is accepted; the shell plays the recorded CLI start, then
//! answers each command line with the recorded bytes, pausing where the client answered a pager
//! in the record until it answers again (see `mod.rs`).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::PrivateKey;
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use serde_json::Value;
use tokio::sync::Mutex as AsyncMutex;

use super::record::{bytes_of, closest, similarity};
use super::Served;

/// A command line longer than this is cut (the client never types one).
const MAX_LINE: usize = 64 * 1024;

pub(crate) async fn serve(listener: tokio::net::TcpListener, served: Arc<Served>, key: PrivateKey) {
    let config = Arc::new(russh::server::Config {
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::KeyboardInteractive][..]),
        auth_rejection_time: Duration::from_millis(100),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        inactivity_timeout: Some(Duration::from_secs(600)),
        keys: vec![key],
        ..Default::default()
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = Handler { served: served.clone(), state: Arc::new(AsyncMutex::new(Shell::default())) };
        let cfg = config.clone();
        tokio::spawn(async move {
            if let Ok(session) = russh::server::run_stream(cfg, stream, handler).await {
                let _ = session.await;
            }
        });
    }
}

/// Steps of a recorded exchange: (sent by the client, bytes, ms after the exchange's start).
type Steps = Vec<(bool, Vec<u8>, u64)>;

#[derive(Default)]
struct Shell {
    line: Vec<u8>,
    /// The rest of an exchange waiting for the client's answer to a pager.
    pending: Steps,
}

struct Handler {
    served: Arc<Served>,
    state: Arc<AsyncMutex<Shell>>,
}

fn steps(e: &Value) -> Steps {
    e.get("steps")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    let at = s.get("after_ms").and_then(Value::as_u64).unwrap_or(0);
                    match (bytes_of(s, "send"), bytes_of(s, "recv")) {
                        (Some(b), _) => Some((true, b, at)),
                        (None, Some(b)) => Some((false, b, at)),
                        _ => None,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Handler {
    /// The recorded exchange of `command` (first unused in record order, else the last), or the
    /// error naming the closest recorded commands.
    fn exchange(&self, command: &str) -> Result<Steps, String> {
        let t = &self.served.transcript;
        let used = self.served.used();
        let same: Vec<(usize, &Value)> = t
            .of_kind("ssh_command")
            .filter(|(_, e)| e.get("command").and_then(Value::as_str) == Some(command))
            .collect();
        let found = same.iter().find(|(i, _)| !used.get(*i).copied().unwrap_or(true)).or(same.last());
        if let Some((i, e)) = found {
            self.served.take(*i);
            return Ok(steps(e));
        }
        let recorded: Vec<(f64, String)> = t
            .of_kind("ssh_command")
            .filter_map(|(_, e)| e.get("command").and_then(Value::as_str))
            .map(|c| (similarity(command.as_bytes(), c.as_bytes()), format!("`{c}`")))
            .collect();
        Err(format!(
            "{}: no recorded answer for the CLI command `{command}`; closest recorded: {}",
            t.name,
            closest(recorded, 3)
        ))
    }

    /// Plays `steps` from the start: sends what was received until the next step the client
    /// sent, and keeps the rest for its answer.
    async fn play(&self, mut steps: Steps, channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
        let mut last_ms = 0u64;
        while !steps.is_empty() {
            let (sent, bytes, at) = steps.remove(0);
            if sent {
                self.state.lock().await.pending = steps;
                return Ok(());
            }
            if self.served.timing {
                tokio::time::sleep(Duration::from_millis(at.saturating_sub(last_ms).min(600_000))).await;
            }
            last_ms = at;
            session.data(channel, bytes)?;
        }
        Ok(())
    }
}

impl russh::server::Handler for Handler {
    type Error = russh::Error;

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        let t = &self.served.transcript;
        Ok(t.of_kind("ssh_auth_banner")
            .next()
            .and_then(|(_, e)| e.get("text").and_then(Value::as_str))
            .map(String::from))
    }

    async fn auth_password(&mut self, _user: &str, _password: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::Accept)
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        _user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        Ok(match response {
            None => Auth::Partial {
                name: Cow::Borrowed(""),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
            },
            Some(_) => Auth::Accept,
        })
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let used = self.served.used();
        let start = {
            let t = &self.served.transcript;
            let all: Vec<(usize, &Value)> = t.of_kind("ssh_cli_start").collect();
            all.iter().find(|(i, _)| !used.get(*i).copied().unwrap_or(true)).or(all.last()).map(|(i, e)| (*i, steps(e)))
        };
        match start {
            Some((i, s)) => {
                self.served.take(i);
                self.play(s, channel, session).await
            }
            None => session.data(channel, b"\r\nadmin:".to_vec()),
        }
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        let pending = std::mem::take(&mut self.state.lock().await.pending);
        if !pending.is_empty() {
            // The client answered a pager: the rest of the recorded exchange.
            return self.play(pending, channel, session).await;
        }
        let mut commands = Vec::new();
        {
            let mut st = self.state.lock().await;
            for &b in data {
                if b == b'\n' || b == b'\r' {
                    commands.push(String::from_utf8_lossy(&std::mem::take(&mut st.line)).trim().to_string());
                } else if st.line.len() < MAX_LINE {
                    st.line.push(b);
                }
            }
        }
        for command in commands.into_iter().filter(|c| !c.is_empty()) {
            if command == "quit" {
                session.eof(channel)?;
                session.close(channel)?;
                return Ok(());
            }
            match self.exchange(&command) {
                Ok(steps) => {
                    // The first step is the client's command line itself.
                    let rest = match steps.first() {
                        Some((true, _, _)) => steps.into_iter().skip(1).collect(),
                        _ => steps,
                    };
                    self.play(rest, channel, session).await?;
                }
                Err(what) => {
                    self.served.miss(what.clone());
                    session.data(channel, format!("{command}\r\nreplay: {what}\r\nadmin:").into_bytes())?;
                }
            }
        }
        Ok(())
    }
}
