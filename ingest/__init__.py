"""Everything that talks to GitHub and writes raw facts."""
