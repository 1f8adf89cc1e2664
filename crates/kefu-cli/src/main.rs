//! The `kefu` binary. Thin: it parses arguments, loads settings and calls into the libraries.

mod bench;
mod bench_bot;
mod bench_qa;
mod bench_route;
mod bench_text;
mod demo;
mod faq;
mod runtime;
mod text;

use anyhow::Result;

/// mimalloc instead of the system allocator: the message path allocates many small, short-lived
/// buffers (JSON, SQL arguments, frames) across threads, where it is measurably faster
/// (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kefu",
    version,
    about = "kefu (客服): customer-service hub for e-commerce shops"
)]
struct Cli {
    /// A TOML file layered over the defaults (KEFU__SECTION__KEY variables override both).
    #[arg(long, global = true, env = "KEFU_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve,
    /// Creates the demo shop (母婴) if the database has none, then runs the server.
    Demo(demo::DemoArgs),
    /// Applies pending database migrations and exits.
    Migrate,
    /// Loads and checks the configuration, prints it (secrets redacted) and exits.
    CheckConfig,
    /// Rebuilds the conversation and message projections of every shop from the event log.
    Rebuild,
    /// Conversation QA (质检) scores.
    Qa {
        #[command(subcommand)]
        which: QaCommand,
    },
    /// Reads one text per line on stdin; prints the text engine's analysis of each as a JSON line.
    Analyze,
    /// Measures accuracy on labelled data; prints one JSON line.
    Eval {
        #[command(subcommand)]
        which: text::Eval,
    },
    /// Trains a model from data and writes it (see BENCHMARKS.md for the commands used).
    Train {
        #[command(subcommand)]
        which: text::Train,
    },
    /// Measures performance; prints figures for BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        which: bench::Bench,
    },
}

#[derive(Debug, Subcommand)]
enum QaCommand {
    /// Scores every closed conversation of every shop that has no QA score yet (those closed
    /// before QA existed); with `--rescore`, scores all of them again with today's rubric,
    /// keeping supervisors' overrides and appeals.
    Backfill {
        #[arg(long)]
        rescore: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // The text commands need neither settings nor a runtime.
    let command = match cli.command {
        Command::Analyze => return text::analyze(),
        Command::Eval { which } => return text::eval(which),
        Command::Train { which } => return text::train(which),
        other => other,
    };
    let settings = kefu_server::Settings::load(cli.config.as_deref())?;
    runtime::init_logging(&settings);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match command {
            Command::Serve => runtime::serve(&settings, None).await,
            Command::Demo(args) => demo::run(&settings, args).await,
            Command::Migrate => {
                let store = runtime::connect(&settings).await?;
                println!("migrations applied ({})", store.backend().name());
                Ok(())
            }
            Command::CheckConfig => {
                println!("{settings:#?}");
                println!("configuration ok");
                Ok(())
            }
            Command::Rebuild => runtime::rebuild(&settings).await,
            Command::Qa {
                which: QaCommand::Backfill { rescore },
            } => runtime::qa_backfill(&settings, rescore).await,
            Command::Bench { which } => bench::run(which).await,
            Command::Analyze | Command::Eval { .. } | Command::Train { .. } => {
                unreachable!("handled before the runtime starts")
            }
        }
    })
}
