"""Where lessons are read: model, Markdown parser, overlays, lint, the course, one loader."""
