"""The test suite: a package, so that tests and their helpers import as tests.support..., tests.fakes..."""
