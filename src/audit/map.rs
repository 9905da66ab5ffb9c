//! The map of one ILS network for the HTML audit report: where each cluster, link and label goes,
//! then the SVG. Pure and deterministic: the same clusters and pairs give the same picture.
//!
//! Hubs sit on a circle (they mesh with each other); each hub's spokes are fanned around it on
//! rings, away from the circle's centre. A spoke's label block (its name, then its link's
//! authentication method and last successful sync) sits beside the spoke, on the far side from
//! its hub: a spoke has one link, so the block labels both. Spacing along a ring depends on the
//! direction, because labels are horizontal: a label below a spoke needs its width of arc, one
//! beside it only its height. Every label is then checked against the labels and nodes already
//! placed; when one does not fit anywhere, the whole map is laid out again with more room, so
//! the result never has overlapping labels (a label that still finds no room after that is left
//! out and counted in [`Map::omitted_labels`]; its text stays in the tooltip and the tables).
//!
//! Text width is estimated as characters × font size × 0.6, which is what a monospace font
//! takes; the SVG asks for one.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::fmt::Write as _;

use super::model::{ClusterResult, PairResult, Role};
use crate::analyze::Status;

pub const NODE_FONT: f64 = 12.0;
pub const EDGE_FONT: f64 = 10.0;
const HUB_R: f64 = 14.0;
const SPOKE_R: f64 = 9.0;
const BADGE_R: f64 = 7.0;
const MARGIN: f64 = 24.0;
/// Longest label text, in characters; the full text is in the tooltip and the tables.
const MAX_LABEL: usize = 40;
/// Room multipliers tried in order until every label fits.
const SCALES: [f64; 8] = [1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0];

/// An axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn centered(cx: f64, cy: f64, w: f64, h: f64) -> Rect {
        Rect { x: cx - w / 2.0, y: cy - h / 2.0, w, h }
    }

    /// Strictly overlapping (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    fn grown(&self, by: f64) -> Rect {
        Rect { x: self.x - by, y: self.y - by, w: self.w + 2.0 * by, h: self.h + 2.0 * by }
    }

    fn shifted(&self, dx: f64, dy: f64) -> Rect {
        Rect { x: self.x + dx, y: self.y + dy, ..*self }
    }
}

/// Estimated width of `text` at `font` px.
pub fn text_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * font * 0.6
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub role: Role,
    pub status: Status,
    /// Index in the report's `clusters`; None for a name a pair gives that no cluster has.
    pub cluster: Option<usize>,
    pub findings: usize,
    pub cert_days_left: Option<i64>,
    /// Why the cluster could not be assessed (not reachable, not contacted); drawn hollow.
    pub error: Option<String>,
    pub x: f64,
    pub y: f64,
    pub r: f64,
}

impl Node {
    fn bounds(&self) -> Rect {
        Rect::centered(self.x, self.y, 2.0 * self.r, 2.0 * self.r)
    }

    /// Where the findings badge is drawn (top right of the node).
    pub fn badge(&self) -> Option<(f64, f64)> {
        (self.findings > 0).then_some((self.x + self.r * 0.8, self.y - self.r * 0.8))
    }

    fn badge_bounds(&self) -> Option<Rect> {
        self.badge().map(|(x, y)| Rect::centered(x, y, 2.0 * BADGE_R, 2.0 * BADGE_R))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Node indices.
    pub hub: usize,
    pub spoke: usize,
    /// Index in the report's `pairs`.
    pub pair: usize,
    pub status: Status,
    pub method: Option<String>,
    pub last_success_at: Option<String>,
    /// Which hub the link joins is a guess (rows, or a hub-to-hub link with no attempt): drawn
    /// dashed, and its title says so (docs/cucm-notes.md#membership).
    pub inferred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOf {
    Node(usize),
    Edge(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub of: LabelOf,
    pub text: String,
    pub font: f64,
    /// The text's box (top left, estimated width, one line high).
    pub rect: Rect,
}

/// One network, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub network: String,
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Hub pairs of the mesh (node indices) that no assessed link joins (an inventory without
    /// them, or a hub that could not be read): drawn dotted grey.
    pub mesh: Vec<(usize, usize)>,
    pub labels: Vec<Label>,
    /// Labels that found no room even at the largest scale.
    pub omitted_labels: usize,
    /// The room multiplier the layout needed (1 when everything fitted at once).
    pub scale: f64,
}

impl Map {
    /// Every drawn box a label must not cover: nodes and badges.
    pub fn obstacles(&self) -> Vec<Rect> {
        self.nodes.iter().flat_map(|n| std::iter::once(n.bounds()).chain(n.badge_bounds())).collect()
    }
}

/// The text of a link's label: method and last successful sync, when known.
pub fn edge_text(method: Option<&str>, last_success_at: Option<&str>) -> Option<String> {
    let m = method.map(|m| match m {
        "password" => "password".to_string(),
        "tls" => "tls".to_string(),
        "tls_with_password" => "tls+password".to_string(),
        "tls_after_password" => "tls after password".to_string(),
        other => other.to_string(),
    });
    let s = last_success_at.map(|t| match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => format!("synced {}", d.with_timezone(&chrono::Utc).format("%m-%d %H:%MZ")),
        Err(_) => format!("synced {t}"),
    });
    match (m, s) {
        (Some(m), Some(s)) => Some(format!("{m} · {s}")),
        (m, s) => m.or(s),
    }
}

fn clip(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.chars().count() <= MAX_LABEL {
        clean
    } else {
        let mut s: String = clean.chars().take(MAX_LABEL - 1).collect();
        s.push('…');
        s
    }
}

/// The maps of every network, in the order networks first appear among the clusters (then the
/// pairs).
pub fn maps(clusters: &[ClusterResult], pairs: &[PairResult]) -> Vec<Map> {
    let mut order: Vec<&str> = Vec::new();
    for n in clusters.iter().map(|c| c.network.as_str()).chain(pairs.iter().map(|p| p.network.as_str())) {
        if !order.contains(&n) {
            order.push(n);
        }
    }
    order.into_iter().map(|n| layout(n, clusters, pairs)).collect()
}

/// The graph of one network before positions: nodes, edges, and which hub each node hangs on.
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Nodes on the circle, in order.
    centres: Vec<usize>,
    /// Per centre, the nodes fanned around it.
    fans: Vec<Vec<usize>>,
    /// The edge a fanned node's label block describes.
    block_edge: HashMap<usize, usize>,
}

fn graph(network: &str, clusters: &[ClusterResult], pairs: &[PairResult]) -> Graph {
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, c) in clusters.iter().enumerate().filter(|(_, c)| c.network == network) {
        by_name.entry(c.name.clone()).or_insert(nodes.len());
        nodes.push(Node {
            name: c.name.clone(),
            role: c.role,
            status: c.status,
            cluster: Some(i),
            findings: c.findings.len(),
            cert_days_left: c.cert_days_left,
            error: c.error.clone(),
            x: 0.0,
            y: 0.0,
            r: if c.role == Role::Hub { HUB_R } else { SPOKE_R },
        });
    }
    let mut node_for = |name: &str, role: Role, nodes: &mut Vec<Node>| -> usize {
        *by_name.entry(name.to_string()).or_insert_with(|| {
            nodes.push(Node {
                name: name.to_string(),
                role,
                status: Status::Unknown,
                cluster: None,
                findings: 0,
                cert_days_left: None,
                error: None,
                x: 0.0,
                y: 0.0,
                r: if role == Role::Hub { HUB_R } else { SPOKE_R },
            });
            nodes.len().saturating_sub(1)
        })
    };
    let mut edges = Vec::new();
    for (i, p) in pairs.iter().enumerate().filter(|(_, p)| p.network == network) {
        let hub = node_for(&p.hub, Role::Hub, &mut nodes);
        let spoke = node_for(&p.spoke, Role::Spoke, &mut nodes);
        edges.push(Edge {
            hub,
            spoke,
            pair: i,
            status: p.status,
            method: p.method.clone(),
            last_success_at: p.last_success_at.clone(),
            inferred: p.inferred(),
        });
    }
    // A node is fanned around the hub of its first link unless it is a hub itself (or the
    // link is a loop); every other node is a centre.
    // Edges name nodes by their index in `nodes`; `parent` is parallel to it.
    let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut block_edge = HashMap::new();
    for (e, edge) in edges.iter().enumerate() {
        let s = edge.spoke;
        let is_spoke = nodes.get(s).is_some_and(|n| n.role == Role::Spoke);
        let hub_is_centre = parent.get(edge.hub).is_some_and(Option::is_none);
        if let Some(p @ None) = parent.get_mut(s) {
            if is_spoke && edge.hub != s && hub_is_centre {
                *p = Some(edge.hub);
                block_edge.insert(s, e);
            }
        }
    }
    // A spoke some other spoke hangs on is a centre too (only from inconsistent input).
    let centre_flags: Vec<bool> = parent.iter().map(Option::is_none).collect();
    for (i, p) in parent.iter_mut().enumerate() {
        if p.is_some_and(|h| !centre_flags.get(h).copied().unwrap_or(true)) {
            *p = None;
            block_edge.remove(&i);
        }
    }
    let centres: Vec<usize> = parent.iter().enumerate().filter(|(_, p)| p.is_none()).map(|(i, _)| i).collect();
    let fans = centres
        .iter()
        .map(|&c| parent.iter().enumerate().filter(|(_, p)| **p == Some(c)).map(|(i, _)| i).collect())
        .collect();
    Graph { nodes, edges, centres, fans, block_edge }
}

/// Lays out one network.
pub fn layout(network: &str, clusters: &[ClusterResult], pairs: &[PairResult]) -> Map {
    let g = graph(network, clusters, pairs);
    let mesh: Vec<(usize, usize)> = {
        let hubs: Vec<usize> =
            g.centres.iter().copied().filter(|&c| g.nodes.get(c).is_some_and(|n| n.role == Role::Hub)).collect();
        let linked =
            |a: usize, b: usize| g.edges.iter().any(|e| (e.hub, e.spoke) == (a, b) || (e.hub, e.spoke) == (b, a));
        let mut pairs = Vec::new();
        let mut rest: &[usize] = &hubs;
        while let Some((&a, after)) = rest.split_first() {
            pairs.extend(after.iter().filter(|&&b| !linked(a, b)).map(|&b| (a, b)));
            rest = after;
        }
        pairs
    };
    let mut best = None;
    for scale in SCALES {
        let attempt = place(&g, scale);
        let done = attempt.omitted_labels == 0;
        best = Some(attempt);
        if done {
            break;
        }
    }
    let Some(mut m) = best else {
        return Map {
            network: network.to_string(),
            width: 0.0,
            height: 0.0,
            nodes: Vec::new(),
            edges: Vec::new(),
            mesh: Vec::new(),
            labels: Vec::new(),
            omitted_labels: 0,
            scale: 1.0,
        };
    };
    m.network = network.to_string();
    m.mesh = mesh;
    m
}

/// A label block beside a node: lines top to bottom.
struct Block {
    lines: Vec<(LabelOf, String, f64)>,
    w: f64,
    h: f64,
}

const LINE_GAP: f64 = 2.0;

fn line_h(font: f64) -> f64 {
    font * 1.2
}

fn block(lines: Vec<(LabelOf, String, f64)>) -> Block {
    let w = lines.iter().map(|(_, t, f)| text_width(t, *f)).fold(0.0, f64::max);
    let h = lines.iter().map(|(_, _, f)| line_h(*f)).sum::<f64>() + LINE_GAP * lines.len().saturating_sub(1) as f64;
    Block { lines, w, h }
}

/// The block beside node `i`: its name, then its link's text.
fn node_block(g: &Graph, i: usize) -> Block {
    let name = g.nodes.get(i).map_or("", |n| n.name.as_str());
    let mut lines = vec![(LabelOf::Node(i), clip(name), NODE_FONT)];
    if let Some((e, edge)) = g.block_edge.get(&i).and_then(|&e| Some((e, g.edges.get(e)?))) {
        if let Some(t) = edge_text(edge.method.as_deref(), edge.last_success_at.as_deref()) {
            lines.push((LabelOf::Edge(e), clip(&t), EDGE_FONT));
        }
    }
    block(lines)
}

/// The centre of a `w`×`h` block beside node `n` in direction `a`, `pad` clear of the node: to
/// its side, above or below it, or at a corner, whichever of the eight the direction is nearest.
fn beside(n: &Node, a: f64, pad: f64, w: f64, h: f64) -> (f64, f64) {
    let (ux, uy) = (a.cos(), a.sin());
    let snap = |u: f64, half: f64| if u.abs() > 0.38 { u.signum() * half } else { 0.0 };
    (n.x + ux * (n.r + pad) + snap(ux, w / 2.0), n.y + uy * (n.r + pad) + snap(uy, h / 2.0))
}

/// Angles of up to `want` spokes on a ring of radius `rho` over `spread` centred on `out`, each
/// step the room `room(angle)` (in px along the ring) a spoke's block needs there.
fn arc(out: f64, spread: f64, rho: f64, stagger: f64, want: usize, room: impl Fn(f64) -> f64) -> Vec<f64> {
    let (start, end) = (out - spread / 2.0, out + spread / 2.0);
    let step = |a: f64| room(a) / rho.max(1.0);
    let mut angles = Vec::new();
    let mut a = start + stagger * step(start);
    while angles.len() < want && (a <= end || angles.is_empty()) {
        angles.push(a);
        let s1 = step(a);
        a += s1.max(step(a + s1));
    }
    // Round a full circle, the last spoke must keep its room from the first.
    if spread > PI && angles.len() > 1 {
        if let Some(&last) = angles.last() {
            if last + step(last) > start + 2.0 * PI {
                angles.pop();
            }
        }
    }
    angles
}

/// Room a block needs across a ring at direction `a`: its extent along the ring's tangent.
fn across(w: f64, h: f64, a: f64) -> f64 {
    w * a.sin().abs() + h * a.cos().abs()
}

struct Placer {
    placed: Vec<Rect>,
    obstacles: Vec<Rect>,
}

impl Placer {
    fn free(&self, r: &Rect) -> bool {
        let padded = r.grown(1.0);
        !self.placed.iter().chain(&self.obstacles).any(|o| o.overlaps(&padded))
    }
}

fn place(g: &Graph, scale: f64) -> Map {
    let mut nodes = g.nodes.clone();
    let blocks: Vec<Block> = (0..nodes.len()).map(|i| node_block(g, i)).collect();
    let gap = 10.0 * scale;
    // Fans first, around the origin of each centre.
    let hubs_n = g.centres.len();
    // The direction of each centre's label (towards the circle's centre) and of its fan.
    let centre_angle = |k: usize| -PI / 2.0 + 2.0 * PI * k as f64 / hubs_n.max(1) as f64;
    let mut offsets: Vec<(f64, f64)> = vec![(0.0, 0.0); nodes.len()];
    let mut fan_radius: Vec<f64> = Vec::with_capacity(hubs_n);
    // Node indices (centres, fans) are positions in `nodes`, which `blocks` and `offsets`
    // parallel; `fans` parallels `centres`.
    for (k, (fan, &c)) in g.fans.iter().zip(&g.centres).enumerate() {
        let out = if hubs_n == 1 { -PI / 2.0 } else { centre_angle(k) };
        let spread = if fan.len() <= 1 { 0.0 } else { 2.0 * PI - PI / 3.0 };
        let of_fan = || fan.iter().filter_map(|&i| blocks.get(i));
        let bw = of_fan().map(|b| b.w).fold(0.0, f64::max);
        let bh = of_fan().map(|b| b.h).fold(0.0, f64::max);
        let ring_gap = 2.0 * SPOKE_R + 2.0 * BADGE_R + bw + 2.0 * gap;
        let centre_r = nodes.get(c).map_or(SPOKE_R, |n| n.r);
        let mut rho = (centre_r + SPOKE_R + 2.0 * BADGE_R + 60.0) * scale;
        let mut remaining: &[usize] = fan;
        let mut stagger = 0.0;
        let mut outer = centre_r + blocks.get(c).map_or(0.0, |b| b.w.max(b.h)) + 2.0 * BADGE_R;
        while !remaining.is_empty() {
            // A somewhat larger ring that holds every remaining spoke beats another ring.
            let mut angles =
                arc(out, spread, rho, stagger, remaining.len(), |a| across(bw, bh, a) + 2.0 * SPOKE_R + gap);
            let mut grown = rho;
            while angles.len() < remaining.len() && grown * 1.1 < rho + ring_gap * 0.75 {
                grown *= 1.1;
                let more =
                    arc(out, spread, grown, stagger, remaining.len(), |a| across(bw, bh, a) + 2.0 * SPOKE_R + gap);
                if more.len() == remaining.len() {
                    angles = more;
                    rho = grown;
                }
            }
            let n = angles.len().max(1);
            // Centre the used arc on the fan's direction.
            let start = out - spread / 2.0;
            let used = angles.last().copied().unwrap_or(start) - angles.first().copied().unwrap_or(start);
            let shift =
                if remaining.len() <= n { out - (angles.first().copied().unwrap_or(out) + used / 2.0) } else { 0.0 };
            for (&i, &a) in remaining.iter().zip(&angles) {
                let a = a + shift;
                if let Some(o) = offsets.get_mut(i) {
                    *o = (rho * a.cos(), rho * a.sin());
                }
            }
            remaining = remaining.get(n..).unwrap_or_default();
            outer = outer.max(rho + SPOKE_R + 2.0 * BADGE_R + bw + gap);
            rho += ring_gap;
            // Every other ring is turned by half a step.
            stagger = 0.5 - stagger;
        }
        fan_radius.push(outer);
    }
    // Centres on a circle large enough that neighbouring fans keep apart.
    let largest = fan_radius.iter().copied().fold(0.0, f64::max);
    let circle = if hubs_n <= 1 {
        0.0
    } else {
        let mut r: f64 = 0.0;
        // Each fan and the next one around the circle.
        for (this, next) in fan_radius.iter().zip(fan_radius.iter().cycle().skip(1)) {
            let need = this + next + 2.0 * gap;
            let half = PI / hubs_n as f64;
            r = r.max(need / (2.0 * half.sin()));
        }
        r.max(largest)
    };
    for (k, &c) in g.centres.iter().enumerate() {
        let a = centre_angle(k);
        let (cx, cy) = (circle * a.cos(), circle * a.sin());
        if let Some(n) = nodes.get_mut(c) {
            (n.x, n.y) = (cx, cy);
        }
        for &i in g.fans.get(k).map_or(&[][..], Vec::as_slice) {
            if let (Some(n), Some(&(dx, dy))) = (nodes.get_mut(i), offsets.get(i)) {
                (n.x, n.y) = (cx + dx, cy + dy);
            }
        }
    }
    // Labels: each block beside its node, on the side away from its hub (a centre's faces the
    // circle's centre, or down for a lone centre).
    let obstacles: Vec<Rect> = nodes.iter().flat_map(|n| std::iter::once(n.bounds()).chain(n.badge_bounds())).collect();
    let mut placer = Placer { placed: Vec::new(), obstacles };
    let mut labels = Vec::new();
    let mut omitted = 0usize;
    let mut order: Vec<usize> = g.centres.clone();
    order.extend(g.fans.iter().flatten().copied());
    let parent_of = |i: usize| g.fans.iter().position(|f| f.contains(&i)).and_then(|k| g.centres.get(k));
    for i in order {
        let (Some(b), Some(n)) = (blocks.get(i), nodes.get(i)) else { continue };
        let dir = match parent_of(i).and_then(|&p| nodes.get(p)) {
            Some(p) => (n.y - p.y).atan2(n.x - p.x),
            None if hubs_n <= 1 || circle == 0.0 => PI / 2.0,
            None => (-n.y).atan2(-n.x),
        };
        let mut found = None;
        'search: for dist_extra in [0.0, 6.0, 14.0] {
            for turn in [0.0, 0.35, -0.35, 0.7, -0.7, 1.2, -1.2, PI] {
                let a = dir + turn;
                let (cx, cy) = beside(n, a, BADGE_R * 2.0 + 2.0 + dist_extra, b.w, b.h);
                let r = Rect::centered(cx, cy, b.w, b.h);
                if placer.free(&r) {
                    found = Some(r);
                    break 'search;
                }
            }
        }
        let Some(r) = found else {
            omitted = omitted.saturating_add(b.lines.len());
            continue;
        };
        placer.placed.push(r);
        let mut y = r.y;
        for (of, text, font) in &b.lines {
            let w = text_width(text, *font);
            // Lines are centred in the block.
            labels.push(Label {
                of: *of,
                text: text.clone(),
                font: *font,
                rect: Rect { x: r.x + (r.w - w) / 2.0, y, w, h: line_h(*font) },
            });
            y += line_h(*font) + LINE_GAP;
        }
    }
    // Links that are not a fanned spoke's (between two centres): a label along the line.
    let blocked: Vec<usize> = g.block_edge.values().copied().collect();
    for (e, edge) in g.edges.iter().enumerate().filter(|(e, _)| !blocked.contains(e)) {
        let Some(text) = edge_text(edge.method.as_deref(), edge.last_success_at.as_deref()) else {
            continue;
        };
        let text = clip(&text);
        let (w, h) = (text_width(&text, EDGE_FONT), line_h(EDGE_FONT));
        let (Some(a), Some(b)) = (nodes.get(edge.hub), nodes.get(edge.spoke)) else { continue };
        let mut found = None;
        'edge: for t in [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8] {
            for off in [0.0, -h, h, -2.0 * h, 2.0 * h] {
                let r = Rect::centered(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t + off, w, h);
                if placer.free(&r) {
                    found = Some(r);
                    break 'edge;
                }
            }
        }
        match found {
            Some(r) => {
                placer.placed.push(r);
                labels.push(Label { of: LabelOf::Edge(e), text, font: EDGE_FONT, rect: r });
            }
            None => omitted = omitted.saturating_add(1),
        }
    }
    // Translate everything into the positive quadrant with a margin.
    let boxes = nodes.iter().map(Node::bounds).chain(nodes.iter().filter_map(Node::badge_bounds));
    let all: Vec<Rect> = boxes.chain(labels.iter().map(|l| l.rect)).collect();
    let min_x = all.iter().map(|r| r.x).fold(f64::INFINITY, f64::min);
    let min_y = all.iter().map(|r| r.y).fold(f64::INFINITY, f64::min);
    let max_x = all.iter().map(|r| r.x + r.w).fold(f64::NEG_INFINITY, f64::max);
    let max_y = all.iter().map(|r| r.y + r.h).fold(f64::NEG_INFINITY, f64::max);
    let (dx, dy, width, height) = if all.is_empty() {
        (0.0, 0.0, 2.0 * MARGIN, 2.0 * MARGIN)
    } else {
        (MARGIN - min_x, MARGIN - min_y, max_x - min_x + 2.0 * MARGIN, max_y - min_y + 2.0 * MARGIN)
    };
    for n in &mut nodes {
        n.x += dx;
        n.y += dy;
    }
    for l in &mut labels {
        l.rect = l.rect.shifted(dx, dy);
    }
    Map {
        network: String::new(),
        width,
        height,
        nodes,
        edges: g.edges.clone(),
        mesh: Vec::new(),
        labels,
        omitted_labels: omitted,
        scale,
    }
}

/// Line colour of a status.
pub fn colour(s: Status) -> &'static str {
    match s {
        Status::Ok => "#2e7d32",
        Status::Warning => "#e08e00",
        Status::Critical => "#c62828",
        Status::Unknown => "#8a8a8a",
    }
}

/// Text colour of a status (darker, for contrast on white).
fn text_colour(s: Status) -> &'static str {
    match s {
        Status::Ok => "#1b5e20",
        Status::Warning => "#8a5200",
        Status::Critical => "#9f1a1a",
        Status::Unknown => "#555555",
    }
}

/// Untrusted text for SVG (XML) text and attribute values: markup characters escaped, and
/// characters XML 1.0 forbids replaced.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(8));
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            // Bidirectional overrides and invisible marks would disguise the text.
            c if crate::report::template::invisible(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Anchors of the report's sections (indices only: no untrusted text in an id).
pub fn cluster_anchor(i: usize) -> String {
    format!("cluster-{i}")
}

pub fn findings_anchor(i: usize) -> String {
    format!("cluster-{i}-findings")
}

pub fn cert_anchor(i: usize) -> String {
    format!("cluster-{i}-cert")
}

pub fn pair_anchor(i: usize) -> String {
    format!("pair-{i}")
}

/// Tooltip text of a node.
fn node_title(n: &Node) -> String {
    let mut t = format!("{} ({}): {}", n.name, n.role.as_str(), n.status.as_str());
    if n.findings > 0 {
        let _ = write!(t, "; {} finding(s)", n.findings);
    }
    if let Some(d) = n.cert_days_left {
        let _ = write!(t, "; certificate: {d} day(s) left");
    }
    if n.cluster.is_none() {
        t.push_str("; not in the audit's clusters");
    }
    if let Some(e) = &n.error {
        let _ = write!(t, "; {e}");
    }
    t
}

/// The map as a standalone SVG element. Every node links to its cluster's section, every link to
/// its pair's, a badge to the cluster's findings.
pub fn svg(m: &Map) -> String {
    let mut s =
        String::with_capacity(m.nodes.len().saturating_add(m.edges.len()).saturating_mul(600).saturating_add(512));
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="ils-map" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-label="ILS network {name}" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"><title>ILS network {name}</title>"#,
        w = m.width.ceil(),
        h = m.height.ceil(),
        name = xml(&m.network),
    );
    s.push_str(r##"<g class="mesh" stroke="#b0b0b0" stroke-width="1.5" stroke-dasharray="2 4">"##);
    for &(a, b) in &m.mesh {
        let (Some(a), Some(b)) = (m.nodes.get(a), m.nodes.get(b)) else { continue };
        let _ = write!(s, r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#, a.x, a.y, b.x, b.y);
    }
    s.push_str("</g>");
    let edge_labels = labels_by(m, |of| match of {
        LabelOf::Edge(e) => Some(e),
        LabelOf::Node(_) => None,
    });
    s.push_str(r#"<g class="links">"#);
    for (e, edge) in m.edges.iter().enumerate() {
        let (Some(a), Some(b)) = (m.nodes.get(edge.hub), m.nodes.get(edge.spoke)) else { continue };
        let dash = match (edge.inferred, edge.status) {
            (true, _) => r#" stroke-dasharray="10 3 2 3" class="inferred""#,
            (false, Status::Unknown) => r#" stroke-dasharray="6 4""#,
            (false, _) => "",
        };
        let width = if edge.status == Status::Critical { 3.5 } else { 2.5 };
        let mut title = format!("{} <- {}: {}", a.name, b.name, edge.status.as_str());
        if edge.inferred {
            title.push_str("; which hub this link joins is inferred, no attempt shows it");
        }
        if let Some(t) = edge_text(edge.method.as_deref(), edge.last_success_at.as_deref()) {
            let _ = write!(title, " ({t})");
        }
        let _ = write!(
            s,
            r##"<a href="#{anchor}" class="link {st}"><title>{title}</title><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{c}" stroke-width="{width}"{dash}/>"##,
            a.x,
            a.y,
            b.x,
            b.y,
            anchor = pair_anchor(edge.pair),
            st = edge.status.as_str(),
            title = xml(&title),
            c = colour(edge.status),
        );
        if let Some(l) = edge_labels.get(&e) {
            text(&mut s, l, text_colour(edge.status));
        }
        s.push_str("</a>");
    }
    s.push_str("</g>");
    let node_labels = labels_by(m, |of| match of {
        LabelOf::Node(i) => Some(i),
        LabelOf::Edge(_) => None,
    });
    s.push_str(r#"<g class="clusters">"#);
    for (i, n) in m.nodes.iter().enumerate() {
        let href = n.cluster.map(cluster_anchor);
        match &href {
            Some(h) => {
                let _ = write!(s, r##"<a href="#{h}" class="cluster {}">"##, n.status.as_str());
            }
            None => {
                let _ = write!(s, r#"<g class="cluster {}">"#, n.status.as_str());
            }
        }
        // A cluster that could not be read is a hollow dashed ring in its status colour.
        let (fill, stroke, dash) = match n.error {
            Some(_) => ("#ffffff", colour(n.status), r#" stroke-dasharray="3 2" class="unreached""#),
            None => (colour(n.status), "#ffffff", ""),
        };
        let _ = write!(
            s,
            r##"<title>{}</title><circle cx="{:.1}" cy="{:.1}" r="{}" fill="{fill}" stroke="{stroke}" stroke-width="2"{dash}/>"##,
            xml(&node_title(n)),
            n.x,
            n.y,
            n.r,
        );
        if n.role == Role::Hub {
            let _ = write!(s, r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="#ffffff"/>"##, n.x, n.y, n.r * 0.4);
        }
        if let Some(l) = node_labels.get(&i) {
            text(&mut s, l, "#1a1a1a");
        }
        s.push_str(if href.is_some() { "</a>" } else { "</g>" });
        if let (Some((bx, by)), Some(c)) = (n.badge(), n.cluster) {
            let shown = if n.findings > 9 { "9+".to_string() } else { n.findings.to_string() };
            let _ = write!(
                s,
                r##"<a href="#{}" class="badge"><title>{} finding(s)</title><circle cx="{bx:.1}" cy="{by:.1}" r="{BADGE_R}" fill="#263238" stroke="#ffffff" stroke-width="1.5"/><text x="{bx:.1}" y="{:.1}" font-size="9" fill="#ffffff" text-anchor="middle">{shown}</text></a>"##,
                findings_anchor(c),
                n.findings,
                by + 3.0,
            );
        }
    }
    s.push_str("</g></svg>");
    s
}

/// The map's labels by node or edge index, as `key` picks them.
fn labels_by(m: &Map, key: impl Fn(LabelOf) -> Option<usize>) -> HashMap<usize, &Label> {
    m.labels.iter().filter_map(|l| key(l.of).map(|k| (k, l))).collect()
}

fn text(s: &mut String, l: &Label, fill: &str) {
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{:.1}" font-size="{}" fill="{fill}" stroke="#ffffff" stroke-width="3" paint-order="stroke" textLength="{:.1}" lengthAdjust="spacingAndGlyphs">{}</text>"##,
        l.rect.x,
        l.rect.y + l.font * 0.95,
        l.font,
        l.rect.w,
        xml(&l.text),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::testdata;

    /// Every label overlaps no other label, no node and no badge, and lies on the canvas.
    fn assert_readable(m: &Map) {
        let obstacles = m.obstacles();
        for (i, a) in m.labels.iter().enumerate() {
            assert!((a.rect.w - text_width(&a.text, a.font)).abs() < 1e-9, "{a:?}");
            for b in &m.labels[i + 1..] {
                assert!(!a.rect.overlaps(&b.rect), "{}: {:?} overlaps {:?}", m.network, a, b);
            }
            for o in &obstacles {
                assert!(!a.rect.overlaps(o), "{}: {a:?} covers a node or badge at {o:?}", m.network);
            }
            assert!(a.rect.x >= 0.0 && a.rect.y >= 0.0, "{a:?}");
            assert!(a.rect.x + a.rect.w <= m.width && a.rect.y + a.rect.h <= m.height, "{a:?}");
        }
        for n in &m.nodes {
            assert!(n.x - n.r >= 0.0 && n.y - n.r >= 0.0 && n.x + n.r <= m.width && n.y + n.r <= m.height);
        }
        // Nodes do not sit on each other.
        for (i, a) in m.nodes.iter().enumerate() {
            for b in &m.nodes[i + 1..] {
                let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
                assert!(d > a.r + b.r, "{} and {} overlap", a.name, b.name);
            }
        }
    }

    /// Every cluster has its name on the map and every link its method and sync time.
    fn assert_complete(m: &Map, clusters: usize, pairs: usize) {
        assert_eq!(m.omitted_labels, 0, "{}", m.network);
        assert_eq!(m.nodes.len(), clusters);
        assert_eq!(m.edges.len(), pairs);
        for i in 0..m.nodes.len() {
            assert!(m.labels.iter().any(|l| l.of == LabelOf::Node(i) && l.text == clip(&m.nodes[i].name)));
        }
        for (e, edge) in m.edges.iter().enumerate() {
            let want = edge_text(edge.method.as_deref(), edge.last_success_at.as_deref()).map(|t| clip(&t));
            let got = m.labels.iter().find(|l| l.of == LabelOf::Edge(e)).map(|l| l.text.clone());
            assert_eq!(got, want, "link {e}");
        }
    }

    #[test]
    fn no_overlapping_labels_from_a_small_mesh_to_two_hundred_clusters() {
        for (hubs, spokes) in [(1, 0), (1, 1), (1, 12), (2, 6), (3, 40), (10, 190), (4, 196), (1, 199)] {
            let (c, p) = testdata::network("net", hubs, spokes);
            let m = layout("net", &c, &p);
            assert_readable(&m);
            assert_complete(&m, hubs + spokes, spokes);
            assert_eq!(m.mesh.len(), hubs * (hubs - 1) / 2);
        }
    }

    #[test]
    fn a_hundred_small_networks_each_get_a_readable_map() {
        let (mut c, mut p) = (Vec::new(), Vec::new());
        for i in 0..100 {
            let (c1, p1) = testdata::network(&format!("net-{i:03}"), 1, 1);
            c.extend(c1);
            p.extend(p1);
        }
        let all = maps(&c, &p);
        assert_eq!(all.len(), 100);
        for m in &all {
            assert_readable(m);
            assert_complete(m, 2, 1);
        }
    }

    #[test]
    fn hubs_sit_on_a_circle_and_spokes_around_their_hub() {
        let (c, p) = testdata::network("net", 5, 40);
        let m = layout("net", &c, &p);
        let hubs: Vec<&Node> = m.nodes.iter().filter(|n| n.role == Role::Hub).collect();
        let (cx, cy) = (hubs.iter().map(|n| n.x).sum::<f64>() / 5.0, hubs.iter().map(|n| n.y).sum::<f64>() / 5.0);
        let radii: Vec<f64> = hubs.iter().map(|n| ((n.x - cx).powi(2) + (n.y - cy).powi(2)).sqrt()).collect();
        assert!(radii.iter().all(|r| (r - radii[0]).abs() < 1e-6 && *r > 0.0), "{radii:?}");
        // Each spoke is nearer its own hub than any other.
        for e in &m.edges {
            let s = &m.nodes[e.spoke];
            let d = |n: &Node| (n.x - s.x).powi(2) + (n.y - s.y).powi(2);
            let own = d(&m.nodes[e.hub]);
            assert!(hubs.iter().all(|h| d(h) >= own - 1e-6), "{} is not by its hub", s.name);
        }
    }

    #[test]
    fn the_same_input_gives_the_same_picture() {
        let (c, p) = testdata::network("net", 3, 25);
        let (a, b) = (layout("net", &c, &p), layout("net", &c, &p));
        assert_eq!(a, b);
        assert_eq!(svg(&a), svg(&b));
    }

    #[test]
    fn inconsistent_input_is_drawn_not_refused() {
        let mut c = vec![
            testdata::cluster("n", "a", Role::Hub, Status::Ok),
            testdata::cluster("n", "a", Role::Spoke, Status::Ok),
            testdata::cluster("n", "lonely", Role::Spoke, Status::Ok),
            testdata::cluster("n", &"x".repeat(5000), Role::Spoke, Status::Ok),
        ];
        c[3].name.push('\u{7}');
        let p = vec![
            testdata::pair("n", "ghost-hub", "a", Status::Critical),
            testdata::pair("n", "a", "a", Status::Ok),
            testdata::pair("n", "lonely", "ghost-spoke", Status::Unknown),
            testdata::pair("n", "a", &c[3].name.clone(), Status::Warning),
            testdata::pair("other", "a", "b", Status::Ok),
        ];
        let m = layout("n", &c, &p);
        assert_readable(&m);
        assert_eq!(m.edges.len(), 4);
        assert!(m.nodes.iter().any(|n| n.name == "ghost-hub" && n.cluster.is_none()));
        assert!(m.labels.iter().all(|l| l.text.chars().count() <= MAX_LABEL && !l.text.contains('\u{7}')));
        let empty = layout("none", &c, &p);
        assert!(empty.nodes.is_empty() && empty.width > 0.0);
        assert!(svg(&empty).starts_with("<svg") && svg(&empty).ends_with("</svg>"));
    }

    #[test]
    fn svg_text_is_escaped() {
        assert_eq!(xml("<script>&\"'\u{1}\n"), "&lt;script&gt;&amp;&quot;&#39;\u{fffd} ");
        let mut c = vec![testdata::cluster("n<", "<script>alert(1)</script>\"", Role::Hub, Status::Ok)];
        c.push(testdata::cluster("n<", "s", Role::Spoke, Status::Ok));
        let mut p = testdata::pair("n<", &c[0].name.clone(), "s", Status::Ok);
        p.method = Some("<b>".into());
        let s = svg(&layout("n<", &c, &[p]));
        assert!(!s.contains("<script") && !s.contains("<b>") && !s.contains("n<"), "{s}");
        assert!(s.contains("&lt;script&gt;") && s.contains("&lt;b&gt;"));
    }

    #[test]
    fn link_labels_say_method_and_last_sync_in_utc() {
        assert_eq!(
            edge_text(Some("tls_with_password"), Some("2026-03-04T10:05:00+01:00")).as_deref(),
            Some("tls+password · synced 03-04 09:05Z")
        );
        assert_eq!(edge_text(None, Some("yesterday")).as_deref(), Some("synced yesterday"));
        assert_eq!(edge_text(Some("password"), None).as_deref(), Some("password"));
        assert_eq!(edge_text(None, None), None);
    }
}
