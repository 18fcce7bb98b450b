"""What the open data API reads: public directories, statistics, a token owner's own data, the
tokens.
"""
