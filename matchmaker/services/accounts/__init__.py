"""Accounts and profiles: sign-up and sign-in, profiles, teams, the directories, the home page."""
