"""Grow a demo database (PostgreSQL) to N profiles per kind in a few SQL statements.

    .venv/bin/python scripts/bench_scale_data.py --per-kind 100000 \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/bench

For the serving benchmark at scale (``scripts/bench_http.py --scale``): startups, mentors (with
their users), investors (with copies of their portfolio entries) and instruments are copied from
the demo rows in rotation, each copy with a number in its name and two words of a bilingual
vocabulary appended to its text, so texts differ and every lexical and dense leg has work to do.
The demo rows and logins stay as they are (the benchmark signs in as the demo users). Runs
``INSERT ... SELECT generate_series`` on the server: 100,000 rows per kind in tens of seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

_WORDS = (
    "battery cathode XRD spectroscopy robotics drone sensor lidar vaccine antibody sepsis "
    "diagnostics fintech payments logistics warehouse agritech soil irrigation greenhouse "
    "semiconductor wafer lithography photonics laser microfluidics polymer coating alloy "
    "recycling hydrogen electrolyser solar inverter wind turbine edtech tutoring gaming "
    "电池 正极 光谱 机器人 无人机 传感器 疫苗 抗体 诊断 支付 物流 仓储 农业 土壤 灌溉 半导体 "
    "晶圆 光刻 激光 涂层 合金 回收 氢能 光伏 逆变器 风电 教育"
)
WORDS = tuple(_WORDS.split())

# Each statement copies template rows (the demo's, numbered by row_number) in rotation.
_VOCAB = "ARRAY[" + ",".join("'" + w + "'" for w in WORDS) + "]"
_EXTRA = (
    f"' ' || ({_VOCAB})[1 + (g % {len(WORDS)})] || ' ' || ({_VOCAB})[1 + ((g / 7) % {len(WORDS)})]"
)

STATEMENTS = {
    "startup": f"""
        WITH t AS (SELECT s.*, row_number() OVER (ORDER BY id) - 1 AS k FROM startups s),
             n AS (SELECT count(*) AS c FROM startups)
        INSERT INTO startups (name, one_liner, description, sectors, stage, funding_round,
            location, team_size, founded_on, founder_backgrounds, languages, mentoring_topics,
            services_needed, funding_need_amount, funding_need_currency, funding_need_note,
            website, is_active, created_at, updated_at)
        SELECT left(t.name, 100) || ' ' || g, t.one_liner, t.description || {_EXTRA}, t.sectors,
            t.stage, t.funding_round, t.location, t.team_size, t.founded_on,
            t.founder_backgrounds, t.languages, t.mentoring_topics, t.services_needed,
            t.funding_need_amount, t.funding_need_currency, t.funding_need_note, t.website,
            true, now(), now()
        FROM generate_series(1, :todo) g CROSS JOIN n JOIN t ON t.k = g % n.c
    """,
    "mentor_user": """
        WITH t AS (SELECT u.*, row_number() OVER (ORDER BY u.id) - 1 AS k
                   FROM users u JOIN mentor_profiles m ON m.user_id = u.id),
             n AS (SELECT count(*) AS c FROM mentor_profiles)
        INSERT INTO users (email, password_hash, display_name, locale, roles, is_active,
            session_version, created_at, updated_at, share_phone, share_wechat)
        SELECT 'bench-mentor-' || g || '@example.com', t.password_hash,
            left(t.display_name, 100) || ' ' || g, t.locale, t.roles, true,
            md5(g::text), now(), now(), false, false
        FROM generate_series(1, :todo) g CROSS JOIN n JOIN t ON t.k = g % n.c
    """,
    "mentor": f"""
        WITH t AS (SELECT m.*, row_number() OVER (ORDER BY id) - 1 AS k
                   FROM mentor_profiles m),
             n AS (SELECT count(*) AS c FROM mentor_profiles),
             u AS (SELECT id, substring(email from 'bench-mentor-([0-9]+)@')::int AS g
                   FROM users WHERE email LIKE 'bench-mentor-%'
                   AND id NOT IN (SELECT user_id FROM mentor_profiles))
        INSERT INTO mentor_profiles (user_id, kind, headline, expertise, sectors, languages,
            mentoring_topics, organisation, location, timezone, capacity_per_month,
            accepting_requests, is_active, created_at, updated_at)
        SELECT u.id, t.kind, t.headline, t.expertise || {_EXTRA}, t.sectors, t.languages,
            t.mentoring_topics, t.organisation, t.location, t.timezone, t.capacity_per_month,
            true, true, now(), now()
        FROM u CROSS JOIN n JOIN t ON t.k = u.g % n.c
    """,
    "investor": f"""
        WITH t AS (SELECT i.*, row_number() OVER (ORDER BY id) - 1 AS k FROM investors i),
             n AS (SELECT count(*) AS c FROM investors)
        INSERT INTO investors (name, type, thesis, sectors, stages, ticket_min, ticket_max,
            currency, instruments, regions, location, website, co_investment_requirements,
            loan_products, is_active, created_at, updated_at)
        SELECT left(t.name, 140) || ' ' || g, t.type, t.thesis || {_EXTRA}, t.sectors,
            t.stages, t.ticket_min, t.ticket_max, t.currency, t.instruments, t.regions,
            t.location, t.website, t.co_investment_requirements, t.loan_products, true,
            now(), now()
        FROM generate_series(1, :todo) g CROSS JOIN n JOIN t ON t.k = g % n.c
    """,
    "portfolio": """
        WITH t AS (SELECT i.id, row_number() OVER (ORDER BY id) - 1 AS k
                   FROM investors i WHERE i.id <= :demo_last),
             n AS (SELECT count(*) AS c FROM t),
             fresh AS (SELECT i.id, row_number() OVER (ORDER BY id) AS g FROM investors i
                       WHERE i.id > :demo_last
                       AND NOT EXISTS (SELECT 1 FROM portfolio_entries p
                                       WHERE p.investor_id = i.id))
        INSERT INTO portfolio_entries (investor_id, company, description, sector, round, year,
            startup_id, created_at, updated_at)
        SELECT fresh.id, p.company, p.description, p.sector, p.round, p.year, p.startup_id,
            now(), now()
        FROM fresh CROSS JOIN n JOIN t ON t.k = fresh.g % n.c
        JOIN portfolio_entries p ON p.investor_id = t.id
    """,
    "equipment": f"""
        WITH t AS (SELECT e.*, row_number() OVER (ORDER BY id) - 1 AS k FROM equipment e),
             n AS (SELECT count(*) AS c FROM equipment)
        INSERT INTO equipment (facility_id, name, category, model_specs, description,
            price_per_hour, voucher_eligible, training_required, booking_mode, is_active,
            created_at, updated_at)
        SELECT t.facility_id, left(t.name, 140) || ' ' || g, t.category, t.model_specs,
            t.description || {_EXTRA}, t.price_per_hour, t.voucher_eligible,
            t.training_required, t.booking_mode, true, now(), now()
        FROM generate_series(1, :todo) g CROSS JOIN n JOIN t ON t.k = g % n.c
    """,
}

COUNTS = {
    "startup": "SELECT count(*) FROM startups",
    "mentor_user": "SELECT count(*) FROM mentor_profiles",
    "mentor": "SELECT count(*) FROM mentor_profiles",
    "investor": "SELECT count(*) FROM investors",
    "equipment": "SELECT count(*) FROM equipment",
}


def grow(url: str, per_kind: int) -> dict[str, float]:
    """Add rows until each kind has ``per_kind`` profiles; seconds per statement."""
    import sqlalchemy as sa

    from matchmaker.database import make_engine

    engine = make_engine(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("bench_scale_data needs PostgreSQL (generate_series)")
    took: dict[str, float] = {}
    with engine.begin() as conn:
        demo_last = conn.scalar(sa.text("SELECT max(id) FROM investors")) or 0
        for name, statement in STATEMENTS.items():
            started = time.perf_counter()
            params: dict[str, int] = {}
            if name in COUNTS:
                have = int(conn.scalar(sa.text(COUNTS[name])) or 0)
                params["todo"] = max(0, per_kind - have)
                if not params["todo"]:
                    continue
            if name == "portfolio":
                params["demo_last"] = int(demo_last)
            conn.execute(sa.text(statement), params)
            took[name] = time.perf_counter() - started
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--per-kind", type=int, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    took = grow(args.database_url, args.per_kind)
    for name, seconds in took.items():
        print(f"{name}: {seconds:.1f} s")
    print(f"total: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
