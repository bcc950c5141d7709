//! The chapters the grader knows, each with its checks in a file of its own.

use crate::check::Check;

mod ch01;
mod ch02;
mod ch03;
mod ch04;
mod ch05;
mod ch06;
mod ch07;
mod ch08;
mod ch09;
mod ch10;
mod ch11;
mod ch12;
mod ch13;
mod ch14;
mod ch15;
mod ch16;

pub use ch01::external_assets;

/// A chapter of the workbook.
#[derive(Debug)]
pub struct Chapter {
    /// Two digits: `01`.
    pub number: &'static str,
    /// The reference chapter's cargo package (and program) name.
    pub package: &'static str,
    /// A few words.
    pub title: &'static str,
    /// Its checks, contract first, then exercises.
    pub checks: fn() -> Vec<Check>,
}

/// Every chapter that has checks, in order.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        number: "01",
        package: "ch01-hello-world",
        title: "hello world",
        checks: ch01::checks,
    },
    Chapter {
        number: "02",
        package: "ch02-path-parameters",
        title: "path parameters",
        checks: ch02::checks,
    },
    Chapter {
        number: "03",
        package: "ch03-query-parameters",
        title: "query parameters",
        checks: ch03::checks,
    },
    Chapter {
        number: "04",
        package: "ch04-request-body",
        title: "request bodies",
        checks: ch04::checks,
    },
    Chapter {
        number: "05",
        package: "ch05-response-models",
        title: "response models",
        checks: ch05::checks,
    },
    Chapter {
        number: "06",
        package: "ch06-dependencies",
        title: "dependencies",
        checks: ch06::checks,
    },
    Chapter {
        number: "07",
        package: "ch07-security-first-steps",
        title: "security first steps",
        checks: ch07::checks,
    },
    Chapter {
        number: "08",
        package: "ch08-oauth2-password",
        title: "OAuth2 password flow",
        checks: ch08::checks,
    },
    Chapter {
        number: "09",
        package: "ch09-jwt",
        title: "JWT",
        checks: ch09::checks,
    },
    Chapter {
        number: "10",
        package: "ch10-scopes",
        title: "scopes",
        checks: ch10::checks,
    },
    Chapter {
        number: "11",
        package: "ch11-middleware",
        title: "middleware",
        checks: ch11::checks,
    },
    Chapter {
        number: "12",
        package: "ch12-sql-database",
        title: "SQL databases",
        checks: ch12::checks,
    },
    Chapter {
        number: "13",
        package: "ch13-migrations",
        title: "migrations",
        checks: ch13::checks,
    },
    Chapter {
        number: "14",
        package: "ch14-bigger-application",
        title: "a bigger application",
        checks: ch14::checks,
    },
    Chapter {
        number: "15",
        package: "ch15-background-tasks",
        title: "background tasks",
        checks: ch15::checks,
    },
    Chapter {
        number: "16",
        package: "ch16-deployment",
        title: "deployment",
        checks: ch16::checks,
    },
];

/// The chapter named `name`: `1`, `01`, `ch01` or its package name.
pub fn find(name: &str) -> Option<&'static Chapter> {
    let digits = name.trim_start_matches("ch");
    let number = digits.parse::<u32>().ok().map(|n| format!("{n:02}"));
    CHAPTERS
        .iter()
        .find(|chapter| chapter.package == name || number.as_deref() == Some(chapter.number))
}
