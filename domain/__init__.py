"""The domain's vocabulary and value rules, shared by every room; imports only core."""
