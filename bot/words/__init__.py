"""Everything a user reads, as neutral Cards: one module per kind of answer."""
