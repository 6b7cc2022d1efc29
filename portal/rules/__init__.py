"""Business rules as plain functions, shared by routes, exports and commands."""
