"""What the tests use and is not a test: workspaces, the config builder, the real WordPress,
the network guard, the kill-at-every-step runner. The stand-ins of outside services are in
tests/fakes/."""
