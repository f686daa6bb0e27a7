//! `fault-proxy --upstream http://127.0.0.1:PORT [--latency-ms 50] [--rate 0.3 --seed 7 ...]`:
//! the fault-injection proxy as a process (benchmarks add latency with it). Prints
//! `listening on http://127.0.0.1:PORT` and serves until killed.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use flarelink_fault_proxy::{start, FaultPlan, Flavor, When};

#[derive(Parser)]
#[command(about = "Seeded fault-injection HTTP proxy on 127.0.0.1")]
struct Args {
    /// The stand-in to forward to, e.g. http://127.0.0.1:5000
    #[arg(long)]
    upstream: String,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Error bodies to speak.
    #[arg(long, value_enum, default_value_t = CloudArg::Aws)]
    cloud: CloudArg,
    /// Added to every request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of eligible requests faulted (0 = none).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Only writes (not GET/HEAD) are faulted.
    #[arg(long)]
    writes_only: bool,
    /// before, after or both.
    #[arg(long, value_enum, default_value_t = WhenArg::Both)]
    when: WhenArg,
    /// How long a stall holds a request.
    #[arg(long, default_value_t = 3000)]
    stall_ms: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum CloudArg {
    Aws,
    Cloudflare,
}

#[derive(Clone, Copy, ValueEnum)]
enum WhenArg {
    Before,
    After,
    Both,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let plan = FaultPlan {
        seed: args.seed,
        rate: args.rate,
        writes_only: args.writes_only,
        when: match args.when {
            WhenArg::Before => vec![When::Before],
            WhenArg::After => vec![When::After],
            WhenArg::Both => vec![When::Before, When::After],
        },
        latency: Duration::from_millis(args.latency_ms),
        stall: Duration::from_millis(args.stall_ms),
        ..FaultPlan::default()
    };
    let flavor = match args.cloud {
        CloudArg::Aws => Flavor::Aws,
        CloudArg::Cloudflare => Flavor::Cloudflare,
    };
    let proxy = start(&args.upstream, flavor, plan, args.port).await?;
    println!("listening on {}", proxy.url());
    std::future::pending::<()>().await;
    Ok(())
}
