"""What a learner's session is: one lesson's shells, steps run on request, progress kept on disk."""
