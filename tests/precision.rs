//! Rounding never decides a verdict: the `prec_*` inputs hold claims that
//! float64 with a tolerance gets wrong both ways (tiny relative errors
//! accepted, true identities with catastrophic cancellation refuted, correct
//! gradients of huge losses reported as internal errors). Their outputs are
//! reviewed snapshots, every claim must meet its expectation for several
//! seeds, and the certified arithmetic itself is checked against exact
//! rationals and known constants.

use gradproof::check::{self, Options, Outcome, Verdict};
use gradproof::eval::{Ball, Scalar, ball};
use gradproof::render::{self, Format};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Signed;
use std::path::{Path, PathBuf};

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn prec_inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("prec_") && n.ends_with(".grad")
        })
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn check_file(path: &Path, seed: u64) -> (String, check::FileReport) {
    let display = format!("tests/inputs/{}", name(path));
    let bytes = std::fs::read(path).unwrap();
    let (src, prog) = match gradproof::load(&display, &bytes) {
        Ok(p) => p,
        Err(d) => panic!(
            "{display} does not load:\n{}",
            gradproof::diagnostics::render(&display, &String::from_utf8_lossy(&bytes), &d)
        ),
    };
    let opts = Options {
        seed,
        ..Options::default()
    };
    let report = check::check_program(&display, &src, &prog, &opts);
    (render::render(&prog, &src, &report, Format::Text), report)
}

#[test]
fn precision_inputs_meet_their_expectations() {
    let files = prec_inputs();
    assert!(files.len() >= 4, "the prec_ inputs are missing");
    let settings = snapshot_settings();
    for f in &files {
        let (text, report) = check_file(f, 0);
        assert!(
            report.internal_errors.is_empty(),
            "{}: internal errors {:?}",
            name(f),
            report.internal_errors
        );
        assert!(!report.any_unmet(), "{}: a claim missed:\n{text}", name(f));
        for item in &report.items {
            if let Outcome::Derive { results, .. } = &item.outcome {
                for r in results {
                    assert_eq!(r.verdict, Verdict::Checked, "{}: {}", name(f), r.detail);
                }
            }
        }
        settings.bind(|| insta::assert_snapshot!(format!("precision@{}", name(f)), text));
    }
}

#[test]
fn precision_verdicts_do_not_depend_on_the_seed() {
    for f in prec_inputs() {
        for seed in [1, 7, 12345] {
            let (text, report) = check_file(&f, seed);
            assert!(
                !report.any_unmet(),
                "{} with seed {seed}: a claim missed:\n{text}",
                name(&f)
            );
        }
    }
}

/// Every claim of the relative-error file that is refuted is refuted by
/// the certified arithmetic, never by float64.
#[test]
fn refutations_name_the_certified_arithmetic() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/prec_relative_errors.grad");
    let (text, report) = check_file(&f, 0);
    let mut refuted = 0;
    for item in &report.items {
        if let Outcome::Claim {
            verdict, detail, ..
        } = &item.outcome
            && *verdict == Verdict::Refuted
        {
            refuted += 1;
            let detail = detail.to_string();
            assert!(
                detail.contains("certified in ball arithmetic")
                    || (detail.contains("s = 0;") && !detail.contains("float64")),
                "{detail}"
            );
        }
    }
    assert_eq!(refuted, 6, "{text}");
    assert!(!text.contains("float64, atol"), "{text}");
}

fn q(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

/// Enclosures of rational operations contain the exact rational result, at
/// every precision, including deep chains with cancellation.
#[test]
fn enclosures_contain_exact_rational_results() {
    for bits in [24u64, 128, 192, 1000] {
        ball::with_precision(bits, || {
            let vals = [
                q(1, 3),
                q(-22, 7),
                q(7, 1 << 20),
                q(10i64.pow(15), 11),
                q(-1, 999_983),
            ];
            for a in &vals {
                for b in &vals {
                    let (x, y) = (Ball::from_rational(a), Ball::from_rational(b));
                    assert!(x.add(&y).contains_rational(&(a + b)));
                    assert!(x.sub(&y).contains_rational(&(a - b)));
                    assert!(x.mul(&y).contains_rational(&(a * b)));
                    assert!(x.div(&y).unwrap().contains_rational(&(a / b)));
                    // A chain of operations: (a + b)(a − b)/b.
                    let chain = x.add(&y).mul(&x.sub(&y)).div(&y).unwrap();
                    let exact = (a + b) * (a - b) / b;
                    assert!(chain.contains_rational(&exact));
                }
            }
            // 1/3 summed 3000 times is exactly 1000.
            let third = Ball::from_rational(&q(1, 3));
            let mut acc = Ball::zero();
            for _ in 0..3000 {
                acc = acc.add(&third);
            }
            assert!(acc.contains_rational(&q(1000, 1)));
        });
    }
}

/// exp, log, sqrt, tanh and powers contain the values that are known
/// exactly (e = exp(1) to 40 digits, log(exp(x)) = x, sqrt of squares, …).
#[test]
fn enclosures_contain_known_values() {
    ball::with_precision(192, || {
        let e = Ball::one().exp().unwrap();
        let (lo, hi) = e.bounds();
        let e40 = BigRational::new(
            "27182818284590452353602874713526624977572".parse().unwrap(),
            BigInt::from(10).pow(40),
        );
        let ulp40 = BigRational::new(BigInt::from(1), BigInt::from(10).pow(40));
        assert!(lo <= e40.clone() + &ulp40 && e40 <= hi, "e");
        for x in [q(3, 7), q(-5, 2), q(1000, 1), q(1, 1 << 30)] {
            let b = Ball::from_rational(&x);
            assert!(b.exp().unwrap().log().unwrap().contains_rational(&x));
            let sq = b.mul(&b);
            assert!(sq.sqrt().unwrap().contains_rational(&x.abs()));
            // tanh(x) = (e^2x − 1)/(e^2x + 1) agree to 30 digits.
            let e2 = b.add(&b).exp().unwrap();
            let t = e2.sub(&Ball::one()).div(&e2.add(&Ball::one())).unwrap();
            assert!(t.agree(&b.tanh().unwrap(), 30, &Ball::one()));
        }
        // 8^(1/3) = 2 and 2^(1/2)·2^(1/2) = 2.
        let cube = Ball::from_i64(8)
            .powf(&Ball::from_rational(&q(1, 3)))
            .unwrap();
        assert!(cube.contains_rational(&q(2, 1)));
        let r2 = Ball::from_i64(2)
            .powf(&Ball::from_rational(&q(1, 2)))
            .unwrap();
        assert!(r2.mul(&r2).contains_rational(&q(2, 1)));
        // Undecided and undefined are told apart.
        assert!(
            Ball::from_i64(-1)
                .log()
                .is_err_and(|e| !ball::is_undecided(&e))
        );
        let z = Ball::from_rational(&q(1, 3)).sub(&Ball::one().div(&Ball::from_i64(3)).unwrap());
        assert!(z.log().is_err_and(|e| ball::is_undecided(&e)));
    });
}
