"""The queue cards and what is stuck in them."""
