"""Use cases. Each public function is one use case that takes the SQLAlchemy session, does its
work and commits once; helpers and models never commit. Side effects (index refresh,
notifications, e-mail) run after the commit."""
