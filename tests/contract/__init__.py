"""Contract tests: vendor payloads checked against the vendors' published specifications."""
