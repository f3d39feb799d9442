"""Stand-ins for outside services, for the tests."""
