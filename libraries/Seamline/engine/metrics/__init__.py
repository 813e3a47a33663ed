"""Run metrics: verdicts across retries, figures, history, the dashboard and its gates."""
