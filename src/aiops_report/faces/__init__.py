"""The ways in: command line, scheduler, HTTP service, Slack commands and the dashboard."""
