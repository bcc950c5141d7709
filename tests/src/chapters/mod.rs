//! The chapters the grader knows, each with its checks in a file of its own.

use crate::check::Check;

mod ch01;
mod ch02;
mod ch03;
mod ch04;
mod ch05;

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
];

/// The chapter named `name`: `1`, `01`, `ch01` or its package name.
pub fn find(name: &str) -> Option<&'static Chapter> {
    let digits = name.trim_start_matches("ch");
    let number = digits.parse::<u32>().ok().map(|n| format!("{n:02}"));
    CHAPTERS
        .iter()
        .find(|chapter| chapter.package == name || number.as_deref() == Some(chapter.number))
}
