"""Front ends that render run events as text."""
