"""The top of the dashboard: title and clock, one tab per backend, the agent's notices."""
