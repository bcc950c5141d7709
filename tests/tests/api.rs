//! The grader's own tests: it must fail broken servers with the right words, never hang, and
//! keep the book's links and includes whole.

mod api {
    mod book;
    mod broken;
    mod class;
    mod cli;
    mod fastapi;
    mod learn;
    mod profile;
    mod reports;
    mod started;
    mod vulnerable;
}
