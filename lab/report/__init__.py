"""Writing run reports: JUnit XML and JSON."""
