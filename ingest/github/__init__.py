"""The GitHub client: HTTP to GitHub (REST and GraphQL); never touches the database."""
