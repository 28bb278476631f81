"""`python -m aiops_report` is the `aiops-report` command."""

from aiops_report.faces.cli import app

app(prog_name="aiops-report")
