//! Derive-and-simplify benchmark: an L-layer tanh MLP with a softmax
//! cross-entropy loss and a T-step unrolled tanh RNN, for L, T in 10, 100,
//! 1000. Prints the time per derivation and the size of the result (nodes
//! of the results as a DAG), so linear growth can be read off the table.
//!
//! Run with `cargo bench --bench derive`.

use gradproof::ir::{Expr, WorkKind};
use gradproof::lecture;
use gradproof::simplify::Budget;
use std::collections::HashMap;
use std::time::Instant;

/// `derive J wrt W1, ..., WL` for an L-layer tanh MLP.
fn mlp(layers: usize) -> String {
    let mut s = String::from("dim n\nvar x: vec[n]\nvar y: vec[n] onehot\n");
    for l in 1..=layers {
        s.push_str(&format!("var W{l}: mat[n, n]\n"));
    }
    s.push_str("let a0 = x\n");
    for l in 1..layers {
        s.push_str(&format!("let a{l} = tanh(W{l} a{})\n", l - 1));
    }
    s.push_str(&format!("let yhat = softmax(W{layers} a{})\n", layers - 1));
    s.push_str("let J = -sum(y .* log(yhat))\n");
    let wrt: Vec<String> = (1..=layers).map(|l| format!("W{l}")).collect();
    s.push_str(&format!("derive J wrt {}\n", wrt.join(", ")));
    s
}

/// A T-step tanh RNN with a fixed length, loss on the last state.
fn rnn(steps: usize) -> String {
    format!(
        "dim n, p\ndim T = {steps}\nvar W: mat[n, p]\nvar U: mat[n, n]\nvar x[t]: vec[p]\nvar h[0]: vec[n]\n\
         var y: vec[n]\nlet h[t] = tanh(W x[t - 1] + U h[t - 1])   for t >= 1\n\
         let loss = sum((h[T] - y) .* (h[T] - y))\nderive loss wrt U, W\n"
    )
}

/// Distinct nodes when equal subtrees are shared (hash-consing).
fn dag_size(exprs: &[&Expr]) -> usize {
    fn go(e: &Expr, ids: &mut HashMap<(String, Vec<usize>), usize>) -> usize {
        let kids: Vec<usize> = e.args.iter().map(|a| go(a, ids)).collect();
        let next = ids.len();
        *ids.entry((format!("{:?}", e.op), kids)).or_insert(next)
    }
    let mut ids = HashMap::new();
    for e in exprs {
        go(e, &mut ids);
    }
    ids.len()
}

fn bench(label: &str, src: &str) {
    let (_, prog) = gradproof::load(label, src.as_bytes()).expect("generated program loads");
    let Some((f, items)) = prog.work.iter().find_map(|w| match &w.kind {
        WorkKind::Derive { of: Some(f), items } => Some((f.clone(), items.clone())),
        _ => None,
    }) else {
        panic!("no derive statement");
    };
    let wrts: Vec<Expr> = items.iter().map(|i| i.expr.args[1].clone()).collect();
    // Warm up once, then take the best of a few runs.
    let mut best = f64::INFINITY;
    let mut size = 0;
    let mut note = String::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let pass = lecture::backward_pass(&prog, &f, &wrts, &Budget::default());
        let dt = t0.elapsed().as_secs_f64();
        best = best.min(dt);
        match pass {
            Ok(p) => {
                let mut all: Vec<&Expr> = p.results.iter().collect();
                all.extend(p.adjoints.iter().map(|(_, e)| e));
                size = dag_size(&all);
                if p.budget_hit {
                    note = " (budget hit)".into();
                }
            }
            Err(e) => note = format!(" (error: {})", e.message),
        }
    }
    println!("{label:<12} {:>10.3} ms {size:>10} nodes{note}", best * 1e3);
}

fn main() {
    // Deep unrolled recurrences make deep expressions: give them room.
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(table)
        .unwrap()
        .join()
        .unwrap();
}

fn table() {
    println!(
        "{:<12} {:>13} {:>16}",
        "network", "derive+simplify", "result size"
    );
    bench("question 3", include_str!("../examples/q3_backprop.grad"));
    for l in [10, 100, 1000] {
        bench(&format!("mlp L={l}"), &mlp(l));
    }
    for t in [10, 100, 1000] {
        bench(&format!("rnn T={t}"), &rnn(t));
    }
}
