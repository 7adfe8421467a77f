//! Minimal CLI for developing the rate-level model (the real one lives on main).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "burstsim", version)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Train a rate-level model from a config.
    Train(burstsim::rate::cli::TrainArgs),
    /// Benchmarks.
    Bench {
        /// Benchmark name (mnist_epoch).
        name: String,
        /// MNIST directory.
        #[arg(long, default_value = "../shared/data/mnist")]
        data: PathBuf,
        /// Thread counts.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Commands::Train(a) => burstsim::rate::cli::train(&a),
        Commands::Bench {
            name,
            data,
            threads,
            quiet,
        } => match name.as_str() {
            "mnist_epoch" => burstsim::rate::cli::bench_mnist_epoch(&data, &threads, quiet),
            other => {
                eprintln!("error: unknown benchmark {other}");
                std::process::exit(2);
            }
        },
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
