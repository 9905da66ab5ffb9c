//! Serviceability log collection: the services' logs, `selectLogFiles`, and DIME `GetOneFile`
//! downloads streamed to disk under a deadline from the listed size.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use reqwest::header::CONTENT_TYPE;
use tokio::io::AsyncWriteExt;

use super::super::envelope::{self, RemoteFile};
use super::super::multipart::{self, Multipart, Piece};
use super::{
    SoapClient, SoapError, DIME_ACTION, DIME_PATH, LOGS_PATH, MAX_DOWNLOAD_TIME, MAX_FILE_BYTES, MAX_SOAP_BODY,
    MIN_DOWNLOAD_RATE, UNKNOWN_SIZE,
};

impl SoapClient {
    pub async fn service_logs(&self) -> Result<Vec<String>, SoapError> {
        let text = self
            .call(LOGS_PATH, "listNodeServiceLogs", &envelope::list_node_service_logs(), "listNodeServiceLogs", true)
            .await?;
        envelope::service_log_names(&text).map_err(|e| self.xml_err("listNodeServiceLogs", e))
    }

    pub async fn select_log_files(
        &self,
        service: &str,
        from: &str,
        to: &str,
        time_zone: &str,
    ) -> Result<Vec<RemoteFile>, SoapError> {
        let body = envelope::select_log_files(service, from, to, time_zone);
        let text = self.call(LOGS_PATH, "selectLogFiles", &body, "selectLogFiles", true).await?;
        envelope::log_files(&text).map_err(|e| self.xml_err("selectLogFiles", e))
    }

    /// Downloads one file with DIME `GetOneFile` into `dest` (created or truncated), streaming;
    /// `progress` gets the bytes written so far. Returns the size written.
    pub async fn get_one_file(
        &self,
        absolute_path: &str,
        dest: &Path,
        progress: impl FnMut(u64),
    ) -> Result<u64, SoapError> {
        self.get_one_file_sized(absolute_path, dest, None, progress).await
    }

    /// The deadline of a download of `size` bytes (see [`MIN_DOWNLOAD_RATE`]), never more than
    /// [`MAX_DOWNLOAD_TIME`] whatever size the publisher lists.
    pub fn download_deadline(&self, size: Option<u64>) -> Duration {
        let secs = size.unwrap_or(UNKNOWN_SIZE).min(MAX_FILE_BYTES) / MIN_DOWNLOAD_RATE;
        self.request_timeout.saturating_add(Duration::from_secs(secs)).min(MAX_DOWNLOAD_TIME)
    }

    /// As [`SoapClient::get_one_file`], the whole download bounded by a deadline from the listed
    /// size.
    pub async fn get_one_file_sized(
        &self,
        absolute_path: &str,
        dest: &Path,
        size: Option<u64>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, SoapError> {
        let op = "GetOneFile";
        let deadline = self.download_deadline(size);
        let resp = self.send(DIME_PATH, DIME_ACTION, &envelope::get_one_file(absolute_path), op, deadline).await?;
        let recorded = self.recorded(&resp).map(|(r, id)| (r.clone(), id));
        let written = self.download(resp, dest, op, &mut progress).await;
        if let Some((r, id)) = recorded {
            match &written {
                Ok(n) => r.http_file(id, dest, *n),
                Err(e) => r.http_error(id, &e.to_string()),
            }
        }
        written
    }

    /// The body of a GetOneFile answer into `dest`.
    async fn download(
        &self,
        resp: reqwest::Response,
        dest: &Path,
        op: &str,
        progress: &mut impl FnMut(u64),
    ) -> Result<u64, SoapError> {
        let write_err = |e: std::io::Error| SoapError::Write {
            host: self.host.clone(),
            op: op.into(),
            path: dest.display().to_string(),
            reason: e.to_string(),
        };
        let status = resp.status();
        let ct = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        if !status.is_success() {
            if matches!(status.as_u16(), 401 | 403) {
                return Err(SoapError::Auth {
                    host: self.host.clone(),
                    op: op.into(),
                    user: self.user.clone(),
                    status: status.as_u16(),
                });
            }
            let text = self.read_body(resp, &ct, op).await?;
            return Err(match envelope::fault(&text) {
                Some(f) => {
                    SoapError::Fault { host: self.host.clone(), op: op.into(), message: f.message, code: f.code }
                }
                None => SoapError::Http {
                    host: self.host.clone(),
                    op: op.into(),
                    status: status.as_u16(),
                    detail: text.chars().take(300).collect(),
                },
            });
        }
        let mut file = tokio::fs::File::create(dest).await.map_err(write_err)?;
        let mut written = 0u64;
        let boundary = ct.to_ascii_lowercase().starts_with("multipart/").then(|| multipart::boundary(&ct)).flatten();
        let mut stream = resp.bytes_stream();
        match boundary {
            Some(b) => {
                let mut m = Multipart::new(&b);
                // The file is the first part that is not the SOAP envelope.
                let (mut in_file, mut file_done, mut saw_file) = (false, false, false);
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| self.err_of(op, e))?;
                    let mut pieces: Vec<Vec<u8>> = Vec::new();
                    m.feed(&chunk, |p| match p {
                        Piece::Headers(h) => {
                            if in_file {
                                file_done = true;
                            }
                            in_file = !file_done && !multipart::is_xml_part(&h);
                            saw_file |= in_file;
                        }
                        Piece::Body(b) if in_file => pieces.push(b.to_vec()),
                        Piece::Body(_) => {}
                    })
                    .map_err(|e| SoapError::Response {
                        host: self.host.clone(),
                        op: op.into(),
                        reason: e.to_string(),
                    })?;
                    for p in pieces {
                        file.write_all(&p).await.map_err(write_err)?;
                        written = written.saturating_add(p.len() as u64);
                        progress(written);
                    }
                    if written > MAX_FILE_BYTES {
                        // The answer is untrusted: a broken or hostile host must not fill the disk.
                        return Err(SoapError::Response {
                            host: self.host.clone(),
                            op: op.into(),
                            reason: format!(
                                "the file exceeds {} GiB, far beyond any ILS trace file; the download was stopped",
                                MAX_FILE_BYTES >> 30
                            ),
                        });
                    }
                }
                m.finish().map_err(|e| SoapError::Response {
                    host: self.host.clone(),
                    op: op.into(),
                    reason: format!("{e}: the download was cut"),
                })?;
                if !saw_file {
                    return Err(SoapError::Response {
                        host: self.host.clone(),
                        op: op.into(),
                        reason: "the answer holds no file part".into(),
                    });
                }
            }
            None => {
                // Not multipart: inline base64 in GetOneFileReturn (MTOM off), or a fault.
                let mut raw = Vec::new();
                while let Some(chunk) = stream.next().await {
                    raw.extend_from_slice(&chunk.map_err(|e| self.err_of(op, e))?);
                    if raw.len() > MAX_SOAP_BODY * 2 {
                        return Err(SoapError::Response {
                            host: self.host.clone(),
                            op: op.into(),
                            reason: "inline file answer too large".into(),
                        });
                    }
                }
                let text = String::from_utf8_lossy(&raw);
                let Some(b64) = envelope::first_text(&text, "GetOneFileReturn") else {
                    return Err(SoapError::Response {
                        host: self.host.clone(),
                        op: op.into(),
                        reason: "neither multipart nor GetOneFileReturn".into(),
                    });
                };
                let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(clean).map_err(|e| {
                    SoapError::Response { host: self.host.clone(), op: op.into(), reason: format!("bad base64: {e}") }
                })?;
                file.write_all(&bytes).await.map_err(write_err)?;
                written = bytes.len() as u64;
                progress(written);
            }
        }
        file.sync_all().await.map_err(write_err)?;
        Ok(written)
    }
}
