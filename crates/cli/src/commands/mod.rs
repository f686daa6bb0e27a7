//! One module per command family; `run` dispatches.

mod config_check;
mod docs;
mod identity;
mod link;
mod password;
mod provision;
mod rotate_cert;
mod verify;

use crate::args::{Cli, Command, OutputFormat};

pub async fn run(cli: Cli) -> u8 {
    let human = cli.global.output == OutputFormat::Human;
    match &cli.command {
        Command::Provision(args) => provision::run(&cli, args, human).await,
        Command::Users(users) => identity::users(&cli, users, human).await,
        Command::Token(args) => identity::token(&cli, args, human).await,
        Command::LoginUrl => identity::login_url(&cli, human).await,
        Command::Verify(args) => verify::run(&cli, args, human).await,
        Command::Config(crate::args::ConfigCommand::Check(args)) => {
            config_check::run(&cli, args, human).await
        }
        Command::Completions { shell } => docs::completions(*shell),
        Command::Man { dir } => docs::man(dir.as_deref(), human),
        command => {
            let args = command.run_args().expect("the link family has run args");
            link::run(&cli, command, args, human).await
        }
    }
}
