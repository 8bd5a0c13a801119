//! The `gradproof` command line: arguments → library → rendering, and the
//! one place where outcomes become exit codes (0 all met, 1 a claim missed
//! its expectation, 2 unreadable or invalid input).

use clap::{Parser, Subcommand, ValueEnum};
use gradproof::check::{self, Options};
use gradproof::render::{self, Format};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gradproof",
    version,
    about = "Derives and verifies the gradient formulas of machine-learning lectures"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every statement of each file: derive, show, claim, represent.
    Check {
        /// `.grad` files to check
        #[arg(required = true)]
        files: Vec<String>,
        /// text uses Unicode (ᵀ ∘ −), latex is ready to paste, json is for tools
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// print the rewrite chain behind each `proved`
        #[arg(long)]
        explain: bool,
        /// seed of the numeric checks (same seed, same output)
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// sample points per numeric check
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
        samples: u32,
        /// check statements with a symbolic length such as T for every length 1..=N
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..=1000))]
        unroll: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Latex,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Deep but bounded recursion in the passes: give them room.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run(cli))
        .expect("spawning the worker thread");
    worker.join().unwrap_or(ExitCode::from(3))
}

fn run(cli: Cli) -> ExitCode {
    let Command::Check {
        files,
        format,
        explain,
        seed,
        samples,
        unroll,
    } = cli.command;
    let format = match format {
        FormatArg::Text => Format::Text,
        FormatArg::Latex => Format::Latex,
        FormatArg::Json => Format::Json,
    };
    let opts = Options {
        seed,
        samples,
        unroll,
        explain,
        ..Options::default()
    };
    let mut code = 0u8;
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {file}: {e}");
                code = 2;
                continue;
            }
        };
        match gradproof::load(file, &bytes) {
            Err(diags) => {
                let src = String::from_utf8_lossy(&bytes);
                eprint!("{}", gradproof::diagnostics::render(file, &src, &diags));
                code = 2;
            }
            Ok((src, prog)) => {
                let report = check::check_program(file, &src, &prog, &opts);
                print!("{}", render::render(&prog, &report, format));
                for e in &report.internal_errors {
                    eprintln!("internal error: {e}");
                }
                if report.any_unmet() && code == 0 {
                    code = 1;
                }
            }
        }
    }
    ExitCode::from(code)
}
