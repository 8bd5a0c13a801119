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
        /// with --format latex: one complete document (preamble, a section
        /// per file, \end{document}) that pdflatex compiles
        #[arg(long)]
        standalone: bool,
        /// folder for the SVG pictures of `plot` statements, named
        /// FILE-LLINE.svg (default: the current directory)
        #[arg(long, value_name = "DIR")]
        plot_dir: Option<String>,
    },
    /// Write a Python module that computes each `derive`'s forward value and
    /// gradients.
    ///
    /// Exit code: 0 when written, 2 for unreadable or invalid input or a
    /// derivation the target cannot express.
    Export {
        /// the `.grad` file (`-` reads standard input)
        file: String,
        /// the target language
        #[arg(long, value_enum)]
        to: TargetArg,
        /// write the module here instead of to standard output
        #[arg(long, short)]
        output: Option<String>,
        /// colour diagnostics: auto means only on a terminal
        #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
        color: ColorArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TargetArg {
    Numpy,
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
    /// A LaTeX document: each file is a section.
    standalone: bool,
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
    if let Command::Export {
        file,
        to: TargetArg::Numpy,
        output,
        color,
    } = cli.command
    {
        return export(
            &file,
            output.as_deref(),
            color.on(io::stderr().is_terminal()),
        );
    }
    let Command::Check {
        files,
        format,
        explain,
        seed,
        samples,
        unroll,
        color,
        quiet,
        standalone,
        plot_dir,
    } = cli.command
    else {
        unreachable!("export returned above")
    };
    let format = match format {
        FormatArg::Text => Format::Text,
        FormatArg::Latex => Format::Latex,
        FormatArg::Json => Format::Json,
    };
    if standalone && format != Format::Latex {
        write_err("error: --standalone needs --format latex\n");
        return ExitCode::from(2);
    }
    let opts = Options {
        seed,
        samples,
        unroll,
        explain,
        plot_dir: plot_dir.map(Into::into).unwrap_or_default(),
        ..Options::default()
    };
    let out = Out {
        format,
        view: View {
            quiet,
            color: format == Format::Text && color.on(io::stdout().is_terminal()),
        },
        err_color: color.on(io::stderr().is_terminal()),
        standalone,
    };
    if standalone && write_out(render::latex::PREAMBLE).is_err() {
        return ExitCode::SUCCESS;
    }
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
    if standalone {
        let _ = write_out(render::latex::END);
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
    let loaded = gradproof::load_partial(name, &bytes);
    let diags = loaded.diagnostics();
    if !diags.is_empty() {
        write_err(&diagnostics::render_with(
            name,
            &loaded.src,
            &diags,
            out.err_color,
            MAX_SHOWN_ERRORS,
        ));
    }
    // Past the shown errors the input is probably not a .grad file at
    // all: nothing of it is run.
    if diags.len() > MAX_SHOWN_ERRORS {
        let written = if out.format == Format::Json {
            write_out(&render::json_line(&render::error_file_json(
                name,
                &loaded.src,
                &diags,
                MAX_SHOWN_ERRORS,
            )))
        } else if out.standalone {
            let n = diags.len();
            let why = format!("not checked: {n} input errors");
            write_out(&render::latex::file_not_checked(name, &why))
        } else {
            Ok(())
        };
        return (Status::Invalid, None, written);
    }
    let (src, prog) = (&loaded.src, &loaded.program);
    let report = check::check_program(name, src, prog, opts);
    let plots_written = write_plots(&report);
    let mut text = render::render_with_errors(prog, src, &report, out.format, out.view, &diags);
    if out.standalone {
        text.insert_str(0, &render::latex::file_heading(name));
    }
    let written = write_out(&text);
    for e in &report.internal_errors {
        write_err(&format!("internal error: {e}\n"));
    }
    let status = if !plots_written || !diags.is_empty() {
        Status::Invalid
    } else if report.any_unmet() {
        Status::Unmet
    } else {
        Status::Met
    };
    (status, Some(Summary::of(&report)), written)
}

/// Writes the picture of every `plot` to its path (creating the folder);
/// false when one could not be written, which is said on standard error.
fn write_plots(report: &check::FileReport) -> bool {
    let mut ok = true;
    for w in &report.items {
        let check::Outcome::Plot(p) = &w.outcome else {
            continue;
        };
        let path = Path::new(&p.path);
        let made = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
            _ => Ok(()),
        };
        if let Err(e) = made.and_then(|()| std::fs::write(path, gradproof::plot::svg(p))) {
            write_err(&format!(
                "error: {}:{}: cannot write the plot {}: {e}\n",
                report.file, w.line, p.path
            ));
            ok = false;
        }
    }
    ok
}

/// An input that could not be read: a line on standard error, and in JSON
/// its own record.
fn unusable(name: &str, message: &str, out: &Out) -> Result<(), ClosedPipe> {
    write_err(&format!("error: {message}\n"));
    if out.format == Format::Json {
        write_out(&render::json_line(&render::unreadable_json(name, message)))
    } else if out.standalone {
        write_out(&render::latex::file_not_checked(name, message))
    } else {
        Ok(())
    }
}

/// `gradproof export FILE --to numpy`: the module on standard output or in
/// `output`; problems on standard error with exit code 2.
fn export(file: &str, output: Option<&str>, err_color: bool) -> ExitCode {
    let (name, read) = if file == "-" {
        let mut buf = Vec::new();
        let r = io::stdin().lock().read_to_end(&mut buf);
        (STDIN_NAME, r.map(|_| buf).map_err(|e| e.to_string()))
    } else {
        (file, std::fs::read(file).map_err(|e| e.to_string()))
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            write_err(&format!("error: cannot read {name}: {e}\n"));
            return ExitCode::from(2);
        }
    };
    let report = |src: &str, diags: &[diagnostics::Diagnostic]| {
        write_err(&diagnostics::render_with(
            name,
            src,
            diags,
            err_color,
            MAX_SHOWN_ERRORS,
        ));
        ExitCode::from(2)
    };
    let (src, prog) = match gradproof::load(name, &bytes) {
        Ok(x) => x,
        Err(diags) => return report(&String::from_utf8_lossy(&bytes), &diags),
    };
    let module = match gradproof::export::numpy_module(&prog, &src, name) {
        Ok(m) => m,
        Err(errs) => {
            let diags: Vec<_> = errs.into_iter().map(Into::into).collect();
            return report(&src, &diags);
        }
    };
    match output {
        Some(path) => match std::fs::write(path, module) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                write_err(&format!("error: cannot write {path}: {e}\n"));
                ExitCode::from(2)
            }
        },
        None => match write_out(&module) {
            Ok(()) => ExitCode::SUCCESS,
            Err(ClosedPipe) => ExitCode::SUCCESS,
        },
    }
}
