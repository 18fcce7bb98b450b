"""Pages of accounts and profiles: sign-in, profile editors, directories, notifications."""
