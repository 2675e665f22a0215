"""The vendor sandboxes (hoststand.sandbox) exercised over real loopback HTTP."""
