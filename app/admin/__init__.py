"""The merchant's admin pages."""
