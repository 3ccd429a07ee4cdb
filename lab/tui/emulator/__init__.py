"""The terminal emulator behind `TerminalView`: screen model, output feeder, keys, colours."""
