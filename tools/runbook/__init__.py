"""ID3C Runbook: the tested snippets behind the troubleshooting site, and the tools that run them."""

__version__ = "0.1.0"
