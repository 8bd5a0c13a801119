//! The `gradproof` command line: arguments → library → rendering, and the
//! one place where outcomes become exit codes ([`exit_code`]: 0 all met, 1
//! a claim missed its expectation or an internal error, 2 unreadable or
//! invalid input).

use clap::{Parser, Subcommand, ValueEnum};
use gradproof::check::{self, Options};
use gradproof::diagnostics::{self, MAX_SHOWN_ERRORS};
use gradproof::render::{self, Format, Summary, View};
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
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
    ///
    /// Exit code: 0 when every claim meets its expectation, 1 when one does
    /// not (or a proof contradicts the numbers), 2 for unreadable or invalid
    /// input.
    Check {
        /// `.grad` files to check; `-` reads standard input, a folder
        /// checks its `*.grad` files in name order
        #[arg(required = true)]
        files: Vec<String>,
        /// text uses Unicode (ᵀ ∘ −), latex is ready to paste, json prints
        /// one object per file per line (JSON Lines)
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
        /// colour diagnostics and verdict words: auto means only on a
        /// terminal (and not when NO_COLOR is set)
        #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
        color: ColorArg,
        /// print only what did not meet its expectation, and the totals
        #[arg(long, short)]
        quiet: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Latex,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    fn on(self, stream_is_terminal: bool) -> bool {
        match self {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none(),
        }
    }
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

/// How one input came out; the exit code is decided from these alone.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Status {
    Met,
    /// A claim missed its expectation, or a proof contradicted the numbers.
    Unmet,
    /// Unreadable, or not a valid program.
    Invalid,
}

/// The process exit code of a run: the worst status of its inputs.
fn exit_code(statuses: &[Status]) -> ExitCode {
    match statuses.iter().max() {
        None | Some(Status::Met) => ExitCode::SUCCESS,
        Some(Status::Unmet) => ExitCode::from(1),
        Some(Status::Invalid) => ExitCode::from(2),
    }
}

/// One command-line input: a file, standard input, or a problem found
/// before reading (a folder without `.grad` files).
enum Input {
    File(String),
    Stdin,
    Unusable { name: String, message: String },
}

const STDIN_NAME: &str = "<stdin>";

/// The inputs named by the arguments: `-` is standard input, a folder
/// stands for its `*.grad` files sorted by name.
fn inputs(args: &[String]) -> Vec<Input> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let path = Path::new(a);
        if !path.is_dir() {
            out.push(Input::File(a.clone()));
            continue;
        }
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                out.push(Input::Unusable {
                    name: a.clone(),
                    message: format!("cannot read folder {a}: {e}"),
                });
                continue;
            }
        };
        let mut files: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "grad") && !p.is_dir())
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        files.sort();
        if files.is_empty() {
            out.push(Input::Unusable {
                name: a.clone(),
                message: format!("{a} is a folder without .grad files"),
            });
        }
        out.extend(files.into_iter().map(Input::File));
    }
    out
}

/// Where the output goes; a closed pipe ends the run quietly.
struct Out {
    format: Format,
    view: View,
    err_color: bool,
}

/// The reader went away (`gradproof check FILE | head -1`): stop writing.
struct ClosedPipe;

/// Any other failure to write (a full disk) also ends the run, with a line
/// on standard error.
fn write_out(text: &str) -> Result<(), ClosedPipe> {
    let mut o = io::stdout().lock();
    o.write_all(text.as_bytes())
        .and_then(|()| o.flush())
        .map_err(|e| {
            if e.kind() != io::ErrorKind::BrokenPipe {
                write_err(&format!("error: cannot write the output: {e}\n"));
            }
            ClosedPipe
        })
}

/// Standard error is for people; losing it must not stop the run.
fn write_err(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

fn run(cli: Cli) -> ExitCode {
    let Command::Check {
        files,
        format,
        explain,
        seed,
        samples,
        unroll,
        color,
        quiet,
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
    let out = Out {
        format,
        view: View {
            quiet,
            color: format == Format::Text && color.on(io::stdout().is_terminal()),
        },
        err_color: color.on(io::stderr().is_terminal()),
    };
    let inputs = inputs(&files);
    let mut statuses = Vec::new();
    let mut total = Summary::default();
    for input in &inputs {
        let (status, summary, written) = check_one(input, &opts, &out);
        statuses.push(status);
        if let Some(s) = summary {
            total.add(&s);
        }
        if written.is_err() {
            return exit_code(&statuses);
        }
    }
    if inputs.len() > 1 && format != Format::Json {
        let invalid = statuses.iter().filter(|s| **s == Status::Invalid).count();
        let mut line = format!("{} files: {}", inputs.len(), total.line());
        if invalid > 0 {
            line.push_str(&format!(
                "; {invalid} {} input errors",
                if invalid == 1 {
                    "file with"
                } else {
                    "files with"
                }
            ));
        }
        let prefix = if format == Format::Latex { "% " } else { "" };
        if write_out(&format!("{prefix}{line}\n")).is_err() {
            return exit_code(&statuses);
        }
    }
    exit_code(&statuses)
}

/// Reads, checks and prints one input.
fn check_one(
    input: &Input,
    opts: &Options,
    out: &Out,
) -> (Status, Option<Summary>, Result<(), ClosedPipe>) {
    let (name, read) = match input {
        Input::File(f) => (f.as_str(), std::fs::read(f).map_err(|e| e.to_string())),
        Input::Stdin => {
            let mut buf = Vec::new();
            let r = io::stdin().lock().read_to_end(&mut buf);
            (STDIN_NAME, r.map(|_| buf).map_err(|e| e.to_string()))
        }
        Input::Unusable { name, message } => {
            return (Status::Invalid, None, unusable(name, message, out));
        }
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            let message = format!("cannot read {name}: {e}");
            return (Status::Invalid, None, unusable(name, &message, out));
        }
    };
    match gradproof::load(name, &bytes) {
        Err(diags) => {
            let src = String::from_utf8_lossy(&bytes);
            write_err(&diagnostics::render_with(
                name,
                &src,
                &diags,
                out.err_color,
                MAX_SHOWN_ERRORS,
            ));
            let written = if out.format == Format::Json {
                write_out(&render::json_line(&render::error_file_json(
                    name,
                    &src,
                    &diags,
                    MAX_SHOWN_ERRORS,
                )))
            } else {
                Ok(())
            };
            (Status::Invalid, None, written)
        }
        Ok((src, prog)) => {
            let report = check::check_program(name, &src, &prog, opts);
            let written = write_out(&render::render_with(
                &prog, &src, &report, out.format, out.view,
            ));
            for e in &report.internal_errors {
                write_err(&format!("internal error: {e}\n"));
            }
            let status = if report.any_unmet() {
                Status::Unmet
            } else {
                Status::Met
            };
            (status, Some(Summary::of(&report)), written)
        }
    }
}

/// An input that could not be read: a line on standard error, and in JSON
/// its own record.
fn unusable(name: &str, message: &str, out: &Out) -> Result<(), ClosedPipe> {
    write_err(&format!("error: {message}\n"));
    if out.format == Format::Json {
        write_out(&render::json_line(&render::unreadable_json(name, message)))
    } else {
        Ok(())
    }
}
