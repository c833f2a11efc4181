"""The clean-room server: matches tokens and releases only policy-checked aggregates."""
