"""Front ends that render run events as text: the console, GitHub workflow annotations."""
