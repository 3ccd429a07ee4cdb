"""Screens of the lab TUI: the course picker, the lesson, and the dialogs over them."""
