"""Safety checks that run before anything else: question-level red flags and disclaimers."""
