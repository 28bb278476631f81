"""Every word aiops-report shows, in Korean and English: one table per audience (`report`, which
the dashboard shares for metric names; `dashboard`; `slack` for its commands and alerts;
`doctor` for its findings), each keyed by `Language` and read through `language.in_language`;
`formats` says how numbers and dates read."""
