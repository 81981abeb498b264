"""What the site build adds to the pages (parameter tables, captions, front-matter checks)."""
