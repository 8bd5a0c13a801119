//! The numeric check covers the whole domain: the hard inputs
//! `tests/inputs/sample_*.grad` (identities of special sizes, polynomials
//! vanishing on a small grid, claims false only far from the origin, near an
//! attribute's boundary, beyond the unroll bound, for non-quadratic `fun`s,
//! at kinks and assumption boundaries) meet their expectation for every
//! seed tried, and a proof that no number confirms is not `proved`.

use gradproof::check::{self, Options, Outcome, Verdict};
use gradproof::render::{self, Format};
use std::path::Path;

fn load(name: &str) -> (String, gradproof::ir::Program) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inputs")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    match gradproof::load(name, &bytes) {
        Ok(p) => p,
        Err(d) => panic!(
            "{name} does not load:\n{}",
            gradproof::diagnostics::render(name, &String::from_utf8_lossy(&bytes), &d)
        ),
    }
}

/// (line, verdict, met, detail) of every claim.
fn claims(name: &str, seed: u64) -> Vec<(usize, Verdict, bool, String)> {
    let (src, prog) = load(name);
    let opts = Options {
        seed,
        ..Options::default()
    };
    let report = check::check_program(name, &src, &prog, &opts);
    assert!(
        report.internal_errors.is_empty(),
        "{name} seed {seed}: internal errors {:?}",
        report.internal_errors
    );
    report
        .items
        .iter()
        .filter_map(|w| match &w.outcome {
            Outcome::Claim {
                verdict,
                met,
                detail,
                ..
            } => Some((w.line, *verdict, *met, detail.to_string())),
            _ => None,
        })
        .collect()
}

const SEEDS: [u64; 6] = [0, 1, 2, 3, 17, 99];

fn all_met(name: &str, expected_claims: usize) {
    for seed in SEEDS {
        let cs = claims(name, seed);
        assert_eq!(cs.len(), expected_claims, "{name}: number of claims");
        for (line, verdict, met, detail) in cs {
            assert!(
                met,
                "{name}:{line} seed {seed}: {} ({detail})",
                verdict.word()
            );
        }
    }
}

#[test]
fn identities_of_special_sizes_are_refuted() {
    all_met("sample_sizes.grad", 9);
}

#[test]
fn values_beyond_a_small_box_and_grid() {
    all_met("sample_values.grad", 9);
}

#[test]
fn funs_are_not_only_quadratic_or_separable() {
    all_met("sample_fun.grad", 6);
}

#[test]
fn lengths_independent_and_beyond_the_bound() {
    all_met("sample_lengths.grad", 6);
}

#[test]
fn assumptions_outside_the_box() {
    all_met("sample_assume.grad", 8);
}

#[test]
fn attributes_up_to_their_boundary() {
    all_met("sample_attrs.grad", 10);
}

#[test]
fn kinks_and_assumption_boundaries() {
    all_met("sample_kinks.grad", 8);
}

#[test]
fn a_proof_without_numeric_confirmation_is_unknown() {
    for seed in SEEDS {
        let cs = claims("sample_unconfirmed.grad", seed);
        let verdicts: Vec<Verdict> = cs.iter().map(|c| c.1).collect();
        assert_eq!(
            verdicts,
            vec![Verdict::Unknown, Verdict::Unknown, Verdict::Proved],
            "seed {seed}: {cs:?}"
        );
        assert!(cs[0].3.contains("no numeric confirmation"), "{}", cs[0].3);
        assert!(cs[2].3.starts_with("exact evaluation"), "{}", cs[2].3);
    }
}

#[test]
fn checked_says_what_it_covered() {
    let cs = claims("sample_sizes.grad", 0);
    // tr(A B) = tr(B A): not proved by the rules, checked over many sizes.
    let (_, verdict, _, detail) = &cs[5];
    assert!(
        matches!(verdict, Verdict::Checked | Verdict::Proved),
        "{detail}"
    );
    assert!(detail.contains("sizes n in"), "{detail}");
    assert!(detail.contains("from 1 to 8"), "{detail}");
    let cs = claims("sample_lengths.grad", 0);
    let (_, verdict, _, detail) = &cs[4];
    assert_eq!(*verdict, Verdict::Checked, "{detail}");
    assert!(detail.contains("lengths T = 1..6, "), "{detail}");
}

#[test]
fn an_exact_point_on_a_kink_is_detected() {
    use gradproof::eval::{self, EvalError, Matrix, SampleOptions};
    use num_rational::BigRational;
    let (_, prog) = load("sample_kinks.grad");
    let claim = prog
        .work
        .iter()
        .find_map(|w| match &w.kind {
            gradproof::ir::WorkKind::Claim(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    let lhs = &claim.first;
    let z = prog.vars.iter().position(|v| v.name == "z").unwrap();
    let opts = SampleOptions {
        seed: 1,
        draw: 0,
        dim_overrides: vec![],
        exact: true,
    };
    let mut inst = eval::sample(&prog, &opts).unwrap();
    let at = |inst: &mut eval::Instance, v: i64| {
        inst.set_var(z, Matrix::scalar(BigRational::from_integer(v.into())));
    };
    at(&mut inst, 0);
    let dirs = inst.directions(&prog, 7);
    assert_eq!(
        eval::probe_kinks(&prog, &inst, &[lhs], &Vec::new(), &dirs),
        Err(EvalError::NearKink)
    );
    at(&mut inst, 2);
    assert_eq!(
        eval::probe_kinks(&prog, &inst, &[lhs], &Vec::new(), &dirs),
        Ok(())
    );
    // Without a direction the zero does not move: a structural zero (the
    // right side has indicators of z and no derivative that moves z).
    at(&mut inst, 0);
    let rhs = &claim.steps[0].rhs;
    assert_eq!(
        eval::probe_kinks(&prog, &inst, &[rhs], &Vec::new(), &[]),
        Ok(())
    );
    // The left side differentiates with respect to z: z moves, and z = 0
    // is on the kink of max(z, 0) even without a sampled direction.
    assert_eq!(
        eval::probe_kinks(&prog, &inst, &[lhs], &Vec::new(), &[]),
        Err(EvalError::NearKink)
    );
}

#[test]
fn text_output_of_the_kinks_file() {
    let (src, prog) = load("sample_kinks.grad");
    let report = check::check_program(
        "tests/inputs/sample_kinks.grad",
        &src,
        &prog,
        &Options::default(),
    );
    let text = render::render(&prog, &src, &report, Format::Text);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("sampling_kinks_text", text);
    });
}
