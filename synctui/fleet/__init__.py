"""The fleet view: device series read back from Prometheus (or anything that answers PromQL over its
HTTP API), the rules file synctui ships, and the Textual screen."""
