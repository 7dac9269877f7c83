"""Widgets several screens use."""
