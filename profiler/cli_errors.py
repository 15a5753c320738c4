"""Errors and exit codes shared by the CLI's command modules."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2, nothing written."""
