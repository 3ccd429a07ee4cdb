"""The command line: argument parsing, the commands (`lab run`, `lab assert`, ...), exit codes."""
