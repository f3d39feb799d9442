"""Publishers: adapters that put approved posts on a website."""
