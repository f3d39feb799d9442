"""Media sources: where the photos, videos and press-release documents of a row come from."""
