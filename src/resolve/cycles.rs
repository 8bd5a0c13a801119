//! Cycles between definitions. Each edge of the dependency graph carries the
//! time offset of the reference (`h[t - 1]` inside `let h[t]` is -1; a plain
//! `let` or an unknown time counts as 0). A cycle is harmless only when time
//! strictly decreases around it (total offset < 0); otherwise the definition
//! depends on itself and is reported.

use super::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};

const NO_PATH: i64 = i64::MIN / 4;
const CAP: i64 = 1 << 40;
/// Larger strongly connected groups are not analysed (cubic cost); such
/// files do not occur in practice.
const MAX_GROUP: usize = 300;

impl<'a> Resolver<'a> {
    /// Reports every bad cycle once; returns the nodes involved.
    pub(super) fn check_cycles(&mut self) -> HashSet<Node> {
        let mut weights: BTreeMap<(Node, Node), i64> = BTreeMap::new();
        for &(a, b, w) in &self.edges {
            let e = weights.entry((a, b)).or_insert(w);
            *e = (*e).max(w);
        }
        let nodes: Vec<Node> = weights
            .keys()
            .flat_map(|&(a, b)| [a, b])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let index: BTreeMap<Node, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let mut succ = vec![Vec::new(); nodes.len()];
        for &(a, b) in weights.keys() {
            succ[index[&a]].push(index[&b]);
        }
        let mut reported = HashSet::new();
        for group in components(&succ) {
            let self_loop = group.len() == 1 && succ[group[0]].contains(&group[0]);
            if (group.len() == 1 && !self_loop) || group.len() > MAX_GROUP {
                continue;
            }
            let mut members: Vec<Node> = group.iter().map(|&i| nodes[i]).collect();
            members.sort_by_key(|&n| self.node_span(n).start);
            if let Some(cycle) = nonnegative_cycle(&members, &weights) {
                reported.extend(cycle.iter().copied());
                self.report_cycle(&cycle);
            }
        }
        reported
    }

    fn node_span(&self, n: Node) -> Span {
        match n {
            Node::Let(id) => self.lets[id].name_span,
            Node::Seq(id) => self.seqs[id]
                .def
                .as_ref()
                .map_or(self.seqs[id].name_span, |d| d.name_span),
        }
    }

    fn node_name(&self, n: Node) -> String {
        match n {
            Node::Let(id) => self.lets[id].name.clone(),
            Node::Seq(id) => {
                let t = self.seqs[id]
                    .def
                    .as_ref()
                    .map_or("t".to_string(), |d| self.prog.locals[d.local].name.clone());
                format!("{}[{t}]", self.seqs[id].name)
            }
        }
    }

    /// `cycle` starts and ends with the same node.
    fn report_cycle(&mut self, cycle: &[Node]) {
        let path = cycle.iter().map(|&n| self.node_name(n)).collect();
        let first = cycle[0];
        let recurrence = cycle.iter().any(|n| matches!(n, Node::Seq(_)));
        let mut steps = Vec::new();
        for w in cycle.windows(2).skip(1) {
            if w[0] != first {
                steps.push((
                    self.node_span(w[0]),
                    self.node_name(w[0]),
                    self.node_name(w[1]),
                ));
            }
        }
        self.push(ResolveError::Cycle {
            at: self.node_span(first),
            path,
            recurrence,
            steps,
        });
    }
}

/// Strongly connected components (Kosaraju, iterative so deep graphs are safe).
fn components(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = succ.len();
    let mut pred = vec![Vec::new(); n];
    for (a, bs) in succ.iter().enumerate() {
        for &b in bs {
            pred[b].push(a);
        }
    }
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if *i < succ[v].len() {
                let w = succ[v][*i];
                *i += 1;
                if !seen[w] {
                    seen[w] = true;
                    stack.push((w, 0));
                }
            } else {
                order.push(v);
                stack.pop();
            }
        }
    }
    let mut comp = vec![usize::MAX; n];
    let mut groups = Vec::new();
    for &start in order.iter().rev() {
        if comp[start] != usize::MAX {
            continue;
        }
        let id = groups.len();
        let mut group = vec![start];
        comp[start] = id;
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            for &w in &pred[v] {
                if comp[w] == usize::MAX {
                    comp[w] = id;
                    group.push(w);
                    stack.push(w);
                }
            }
        }
        groups.push(group);
    }
    groups
}

/// A closed walk of total weight >= 0 through the first member that has
/// one (members in preference order), as a node list starting and ending
/// at that member. Max-plus Floyd–Warshall with next-hop reconstruction.
fn nonnegative_cycle(members: &[Node], weights: &BTreeMap<(Node, Node), i64>) -> Option<Vec<Node>> {
    let k = members.len();
    let mut d = vec![vec![NO_PATH; k]; k];
    let mut next = vec![vec![usize::MAX; k]; k];
    for (i, &a) in members.iter().enumerate() {
        for (j, &b) in members.iter().enumerate() {
            if let Some(&w) = weights.get(&(a, b)) {
                d[i][j] = w.clamp(-CAP, CAP);
                next[i][j] = j;
            }
        }
    }
    for m in 0..k {
        for i in 0..k {
            if d[i][m] == NO_PATH {
                continue;
            }
            for j in 0..k {
                if d[m][j] == NO_PATH {
                    continue;
                }
                let via = (d[i][m] + d[m][j]).clamp(-CAP, CAP);
                if via > d[i][j] {
                    d[i][j] = via;
                    next[i][j] = next[i][m];
                }
            }
        }
    }
    let start = (0..k).find(|&i| d[i][i] != NO_PATH && d[i][i] >= 0)?;
    let mut cycle = vec![members[start]];
    let mut u = next[start][start];
    while u != start && u != usize::MAX && cycle.len() <= k {
        cycle.push(members[u]);
        u = next[u][start];
    }
    cycle.push(members[start]);
    Some(cycle)
}
