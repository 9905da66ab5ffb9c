//! SIGINT and SIGTERM, armed before a run changes anything.
//!
//! tokio installs a signal's handler when the signal stream is created, not when it is first
//! awaited; [`arm`] creates both at once, so that a signal while connecting, reading facts or
//! raising stops the run through its restore instead of killing the process with a level
//! raised. Once installed, the handlers stay for the life of the process: a second Ctrl-C
//! does not cut a restore short (each restore is bounded by its own time instead,
//! `session::RESTORE_LIMIT`).

use tokio::sync::watch;

/// Set to true by the first SIGINT or SIGTERM.
pub type Interrupted = watch::Receiver<bool>;

/// Arms the handlers now. Call from inside the tokio runtime.
pub fn arm() -> std::io::Result<Interrupted> {
    let (tx, rx) = watch::channel(false);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                let _ = tx.send(true);
            }
        });
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(true);
            }
        });
    }
    Ok(rx)
}

/// Resolves once interrupted.
pub async fn wait(mut rx: Interrupted) {
    if rx.wait_for(|c| *c).await.is_err() {
        // The sender is gone: no signal can arrive any more.
        std::future::pending::<()>().await;
    }
}
