//! Reads what a publisher says about itself and its ILS network (`parse::facts::Facts`): AXL
//! where there is an operation or a table, the CLI otherwise (docs/cucm-notes.md#axl-ils,
//! docs/cucm-notes.md#remotecluster, docs/cucm-notes.md#network-cluster, docs/cucm-notes.md#service-list).

use super::publisher::Publisher;
use crate::connect::envelope;
use crate::connect::soap::SoapClient;
use crate::parse::cert as x509;
use crate::parse::facts::{
    cert_valid_to, network_cluster, publisher_processnode, replication, service_state, Facts, ILS_SERVICE,
};
use crate::parse::trust as certs;

/// Runs a CLI command and keeps its output (or the failure) for the bundle.
pub(crate) async fn cli(
    p: &mut Publisher,
    f: &mut Facts,
    command: &str,
) -> Result<String, crate::connect::ssh::SshError> {
    let r = p.ssh.run(command).await;
    let kept = match &r {
        Ok(out) => out.clone(),
        Err(e) => format!("(ils-doctor: the command failed: {e})\n"),
    };
    f.cli_outputs.push((command.to_string(), kept));
    r
}

/// Reads every fact, recording failures instead of stopping.
pub async fn read(p: &mut Publisher) -> Facts {
    let mut f = Facts { host: p.access.host.clone(), https_port: p.access.https_port, ..Facts::default() };
    match p.soap.ccm_version().await {
        Ok(v) => f.version = Some(v),
        Err(e) => f.errors.push(format!("version: {e}")),
    }
    read_cluster_and_role(&p.soap, &mut f).await;
    match p
        .soap
        .sql_query("select name, tknodeusage from processnode where tknodeusage = 0 and name != 'EnterpriseWideData'")
        .await
    {
        Ok(rows) => {
            f.node_name = rows.first().and_then(|r| r.iter().find(|(k, _)| k == "name")).map(|(_, v)| v.clone())
        }
        Err(e) => f.errors.push(format!("publisher node name: {e}")),
    }
    let remote = match read_remotecluster(&p.soap).await {
        Ok(rows) => Ok(rows),
        // AXL's SQL may be refused (role, throttling): the CLI's `run sql` reads the same table.
        Err(axl) => match cli(p, &mut f, "run sql select clusterid, fullyqualifiedname from remotecluster").await {
            Ok(out) => crate::connect::sql_table::parse(&out)
                .map(|t| t.rows.iter().map(|r| t.columns.iter().cloned().zip(r.iter().cloned()).collect()).collect())
                .map_err(|e| format!("{axl}; run sql: {e}")),
            Err(e) => Err(format!("{axl}; run sql: {e}")),
        },
    };
    match remote {
        Ok(rows) => f.remote_clusters = remote_rows(&rows),
        Err(e) => f.errors.push(format!("remotecluster: {e}")),
    }
    // Only kept for the bundle: the version itself comes from AXL above.
    let _ = cli(p, &mut f, "show version active").await;
    match cli(p, &mut f, "utils service list").await {
        Ok(out) => f.ils_service = service_state(&out, ILS_SERVICE),
        Err(e) => f.errors.push(format!("utils service list: {e}")),
    }
    match cli(p, &mut f, "show network cluster").await {
        Ok(out) => {
            f.nodes = network_cluster(&out);
            // Without AXL SQL, the processnode names come from the same output (docs/cucm-notes.md#network-cluster).
            if f.node_name.is_none() {
                f.node_name = publisher_processnode(&out, &f.nodes);
            }
        }
        Err(e) => f.errors.push(format!("show network cluster: {e}")),
    }
    match cli(p, &mut f, "show cert own tomcat").await {
        Ok(out) => {
            if let Some((text, parsed)) = cert_valid_to(&out) {
                f.tomcat_valid_to = Some(text);
                f.tomcat_valid_to_parsed = parsed;
            }
            f.tomcat_cert = certs::own_cert(&out);
            f.tomcat_certificate = x509::from_cli(&out);
        }
        Err(e) => f.errors.push(format!("show cert own tomcat: {e}")),
    }
    match cli(p, &mut f, "show cert list trust").await {
        Ok(out) => f.tomcat_trust = certs::trust_list(&out),
        Err(e) => f.errors.push(format!("show cert list trust: {e}")),
    }
    match cli(p, &mut f, "utils dbreplication runtimestate").await {
        Ok(out) => f.db_replication = replication(&out),
        Err(e) => f.errors.push(format!("utils dbreplication runtimestate: {e}")),
    }
    f
}

/// What discovery needs of a publisher, over AXL alone (no CLI session, whose start takes
/// seconds on a real publisher): its Cluster ID and ILS role into `f`, and its `remotecluster`
/// rows, or AXL's refusal (the caller may read the table with the CLI's `run sql` instead).
pub async fn read_identity(
    soap: &SoapClient,
    f: &mut Facts,
) -> Result<Vec<Vec<(String, String)>>, crate::connect::soap::SoapError> {
    read_cluster_and_role(soap, f).await;
    read_remotecluster(soap).await
}

async fn read_cluster_and_role(soap: &SoapClient, f: &mut Facts) {
    match soap.sql_query("select paramvalue from processconfig where paramname = 'ClusterID'").await {
        Ok(rows) => f.cluster_id = rows.first().and_then(|r| r.first()).map(|(_, v)| v.clone()),
        Err(e) => f.errors.push(format!("cluster ID: {e}")),
    }
    match soap
        .axl("getIlsConfig", "<returnedTags><clusterId/><role/><syncronizationStatus/></returnedTags>", true)
        .await
    {
        Ok(xml) => {
            f.ils_role = envelope::first_text(&xml, "role");
            f.ils_sync_status = envelope::first_text(&xml, "syncronizationStatus").filter(|s| !s.is_empty());
        }
        Err(e) => f.errors.push(format!("ILS configuration: {e}")),
    }
}

async fn read_remotecluster(soap: &SoapClient) -> Result<Vec<Vec<(String, String)>>, crate::connect::soap::SoapError> {
    soap.sql_query("select clusterid, fullyqualifiedname from remotecluster").await
}

/// `remotecluster` rows as (clusterid, fullyqualifiedname).
pub fn remote_rows(rows: &[Vec<(String, String)>]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            let get = |k: &str| r.iter().find(|(c, _)| c == k).map(|(_, v)| v.clone()).unwrap_or_default();
            (get("clusterid"), get("fullyqualifiedname"))
        })
        .collect()
}
