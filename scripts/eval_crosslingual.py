"""Cross-lingual retrieval and mentor crowding on the demo data, through the app's own services.

Loads the bilingual demo data into a throw-away SQLite database, builds the indexes with the
chosen embedder, then:

- asks ``services.recommendations.bridge.search`` (what /search calls) for needs written in one
language   whose answer is described only in the other (English needs for Chinese-described
instruments and   the reverse), and counts how many find it in the top 3, and how many of those
carry a reason   (the search page drops hits without one);
- asks ``recommend_mentors`` for every demo startup and reports the share of startups whose top 3
  holds the most frequent mentor (crowding), and the largest such share of any mentor;
- checks the startup page's mentors against the founders' own words: of the startups whose
  description names the expertise of a mentor they may ask, how many have one in their top 3.

    .venv/bin/python scripts/eval_crosslingual.py [--model use-multilingual-v3] [--json out.json]

``--check`` exits 1 when a target of issue 13 is missed: at least 80 % of the needs find their
answer in the top 3 with a reason, in both directions, and no mentor stands in more than a third
of the startups' top 3.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

# (need, name of the equipment that answers it): the need's language differs from the answer's.
EN_NEEDS_ZH_EQUIPMENT = [
    ("scanning electron microscope", "场发射扫描电镜（SEM）"),
    ("salt spray corrosion test chamber", "盐雾试验箱"),
    ("X-ray diffraction phase analysis of cathode powder", "X射线衍射仪（XRD）"),
    ("transmission electron microscope", "透射电子显微镜（TEM）"),
    ("X-ray photoelectron spectroscopy surface analysis", "X射线光电子能谱仪（XPS）"),
    ("infrared spectroscopy of polymers", "傅里叶变换红外光谱仪（FTIR）"),
    ("thermogravimetric analysis", "同步热分析仪（TGA/DSC）"),
    ("particle size distribution measurement", "激光粒度仪"),
    ("specific surface area and pore size analysis", "比表面积及孔径分析仪（BET）"),
    ("quantitative real-time PCR", "实时荧光定量PCR仪"),
    ("flow cytometry", "流式细胞仪"),
    ("confocal laser microscope", "激光共聚焦显微镜"),
    ("high performance liquid chromatography", "高效液相色谱仪（HPLC）"),
    ("pilot scale fermentation tank", "50升中试发酵罐"),
    ("vacuum freeze dryer", "真空冷冻干燥机"),
    ("biosafety cabinet", "生物安全柜"),
    ("temperature and humidity climate chamber", "高低温湿热试验箱"),
    ("vibration test system", "电动振动试验系统"),
    ("spectrum analyzer", "频谱分析仪"),
    ("vector network analyzer", "矢量网络分析仪"),
    ("universal tensile testing machine", "万能材料试验机"),
    ("glove box with inert atmosphere", "手套箱"),
    ("battery charge and discharge cycle tester", "电池充放电测试系统"),
    ("injection molding machine", "注塑成型机"),
    ("industrial CT scanning", "工业CT检测系统"),
    ("coordinate measuring machine", "三坐标测量机"),
    ("five-axis machining center", "五轴加工中心"),
    ("metal 3D printing of titanium parts", "金属3D打印机（SLM）"),
]
ZH_NEEDS_EN_EQUIPMENT = [
    ("桌面数控铣床", "Desktop CNC mill"),
    ("手持式三维扫描仪", "Handheld 3D scanner"),
    ("激光切割", "Laser cutter"),
    ("树脂光固化打印", "Resin 3D printer"),
    ("工程仿真工作站", "CAD/CAE workstation"),
    ("产品渲染", "Product rendering station"),
]


# Mentor needs, and the words (either language) a mentor's profile must contain to name them.
EXPERTISE_NEEDS = {
    "XRD": ("xrd", "x-ray diffraction", "x射线衍射"),
    "专利": ("专利", "patent"),
    "GMP": ("gmp",),
    "融资路演": ("路演", "融资", "pitch", "fundrais"),
    "patent filing": ("专利", "patent"),
    "fundraising pitch": ("路演", "融资", "pitch", "fundrais"),
}


def expertise(session: Any, settings: Any, caller: Any) -> dict[str, Any]:
    """For each mentor need: how many of the top 3 mentors of ``search`` name it, and whether
    any mentor on the platform does."""
    from matchmaker.recommend.texts import mentor_text
    from matchmaker.services.recommendations import bridge as reco
    from matchmaker.services.recommendations import engines

    rec = engines.engine_for(session, settings, caller=caller)
    texts = {i: mentor_text(p).casefold() for i, p in rec.corpus.profiles["mentor"].items()}
    rows = []
    for need, words in EXPERTISE_NEEDS.items():
        naming = {i for i, t in texts.items() if any(w in t for w in words)}
        hits = reco.search(
            session, need, kinds=["mentor"], limit=3, settings=settings, caller=caller
        )
        rows.append(
            {
                "need": need,
                "mentors_naming_it": len(naming),
                "top3_naming_it": sum(1 for m in hits if m.id in naming),
                "first_names_it": bool(hits) and hits[0].id in naming,
            }
        )
    return {"rows": rows, "first_names_it": sum(r["first_names_it"] for r in rows)}


def page_expertise(session: Any, settings: Any, caller: Any) -> dict[str, Any]:
    """The startup page's mentors (``recommend_mentors``, top 3) against the founders' own words:
    of the startups whose description names the expertise of a mentor they may ask (two or more
    specific words shared, ``recommend.expertise``), how many have such a mentor in their top
    3; and the same counting words of the other language that mean the same
    (``recommend.expertise_meaning``: 专利 / patent) as named too ("either language")."""
    import sqlalchemy as sa

    from matchmaker.models import Startup
    from matchmaker.recommend.expertise import ExpertiseTerms
    from matchmaker.services.recommendations import bridge as reco
    from matchmaker.services.recommendations import engines

    rec = engines.engine_for(session, settings, caller=caller)
    profiles = rec.corpus.profiles
    terms = ExpertiseTerms.build(profiles["mentor"].values(), profiles["startup"].values())
    across = rec.corpus.expertise_across()
    ids = session.scalars(sa.select(Startup.id).where(Startup.is_active).order_by(Startup.id)).all()
    rows, either = [], []
    for sid in ids:
        profile = profiles["startup"][sid]
        ranked = reco.recommend_mentors(
            session, sid, settings=settings, caller=caller, rank_all=True
        )
        top = {m.id for m in ranked[:3]}
        named = {m.id for m in ranked if terms.match(profile, m.id)[0] >= 1.0}
        if named:
            rows.append({"startup": sid, "naming_mentors": len(named), "in_top3": len(named & top)})
        named_either = {
            m.id
            for m in ranked
            if terms.match(profile, m.id)[0] + across.match(profile, m.id)[0] >= 1.0
        }
        if named_either:
            either.append({"startup": sid, "in_top3": len(named_either & top)})
    return {
        "startups_naming_an_expertise": len(rows),
        "with_such_a_mentor_in_top3": sum(1 for r in rows if r["in_top3"]),
        "rows": rows,
        "either_language": {
            "startups_naming_an_expertise": len(either),
            "with_such_a_mentor_in_top3": sum(1 for r in either if r["in_top3"]),
        },
    }


def probe(session: Any, settings: Any, caller: Any, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    from matchmaker.services.recommendations import bridge as reco

    rows = []
    for need, answer in pairs:
        hits = reco.search(session, need, limit=3, settings=settings, caller=caller)
        names = [getattr(m.entity, "name", None) for m in hits]
        rank = names.index(answer) + 1 if answer in names else None
        reasons = [r.code for r in hits[rank - 1].reasons] if rank else []
        rows.append(
            {"need": need, "answer": answer, "rank": rank, "reasons": reasons, "top3": names}
        )
    found = [r for r in rows if r["rank"]]
    return {
        "needs": len(rows),
        "top3": len(found),
        "top3_with_reason": sum(1 for r in found if r["reasons"]),
        "rows": rows,
    }


def crowding(session: Any, settings: Any, caller: Any) -> dict[str, Any]:
    import sqlalchemy as sa

    from matchmaker.models import Startup
    from matchmaker.services.recommendations import bridge as reco

    ids = session.scalars(sa.select(Startup.id).where(Startup.is_active).order_by(Startup.id)).all()
    counts: Counter[int] = Counter()
    for sid in ids:
        counts.update(
            {
                m.id
                for m in reco.recommend_mentors(
                    session, sid, limit=3, settings=settings, caller=caller
                )
            }
        )
    top = counts.most_common(3)
    return {
        "startups": len(ids),
        "mentors_in_any_top3": len(counts),
        "most_frequent": [{"mentor": m, "share": n / max(1, len(ids))} for m, n in top],
        "max_share": top[0][1] / max(1, len(ids)) if top else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="EMBEDDING_MODEL (default: the app's)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--no-crowding", action="store_true")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a cross-lingual or crowding target is missed",
    )
    args = parser.parse_args(argv)

    from matchmaker import create_app, migrate
    from matchmaker.demo import load_demo_data
    from matchmaker.extensions import db
    from matchmaker.services.recommendations import engine_settings, engines

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="matchmaker-xling-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite3'}"
        migrate.upgrade(url)
        config = {
            "DATABASE_URL": url,
            "SQLALCHEMY_ENGINES": {"default": url},
            "INDEX_DIR": str(Path(tmp) / "indexes"),
            "MODEL_DIR": str(Path(tmp) / "models"),
            "SECRET_KEY": "x" * 40,
            "TESTING": True,
        }
        if args.model:
            config["EMBEDDING_MODEL"] = args.model
        app = create_app(config)
        with app.app_context():
            load_demo_data(db.session)
            settings = engine_settings.EngineSettings.from_app(app)
            # A script, not a web request: the engine may build on the spot.
            caller = engine_settings.Caller.offline(app)
            engines.build_indexes(db.session, settings, show_progress=False)
            out: dict[str, Any] = {
                "embedder": settings.embedding_model,
                "en_to_zh": probe(db.session, settings, caller, EN_NEEDS_ZH_EQUIPMENT),
                "zh_to_en": probe(db.session, settings, caller, ZH_NEEDS_EN_EQUIPMENT),
            }
            out["expertise"] = expertise(db.session, settings, caller)
            out["page_expertise"] = page_expertise(db.session, settings, caller)
            if not args.no_crowding:
                out["crowding"] = crowding(db.session, settings, caller)
            engines.forget_engines()
    out["seconds"] = round(time.perf_counter() - started, 1)
    for direction in ("en_to_zh", "zh_to_en"):
        r = out[direction]
        print(
            f"{direction}: {r['top3']}/{r['needs']} in top 3,"
            f" {r['top3_with_reason']} of them with a reason"
        )
        for row in r["rows"]:
            if not row["rank"] or not row["reasons"]:
                print(f"   miss: {row['need']!r} -> {row['answer']} (top 3: {row['top3']})")
    for row in out["expertise"]["rows"]:
        print(
            f"mentor need {row['need']!r}: {row['top3_naming_it']}/3 of the top 3 name it,"
            f" first names it: {row['first_names_it']} ({row['mentors_naming_it']} mentors do)"
        )
    page = out["page_expertise"]
    print(
        f"startup page: {page['with_such_a_mentor_in_top3']} of the"
        f" {page['startups_naming_an_expertise']} startups whose own words name an askable"
        " mentor's expertise have such a mentor in their top 3"
    )
    either = page["either_language"]
    print(
        f"startup page, either language: {either['with_such_a_mentor_in_top3']} of the"
        f" {either['startups_naming_an_expertise']} startups whose words name an askable mentor's"
        " expertise in either language have such a mentor in their top 3"
    )
    if "crowding" in out:
        c = out["crowding"]
        print(
            f"crowding: most frequent mentor in {c['max_share']:.0%} of {c['startups']} startups'"
            f" top 3; {c['mentors_in_any_top3']} mentors appear in some top 3"
        )
    print(f"embedder {out['embedder']}, {out['seconds']}s")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.check:
        missed = missed_targets(out)
        for line in missed:
            print(f"TARGET MISSED: {line}")
        return 1 if missed else 0
    return 0


CROSS_LINGUAL_TARGET = 0.8  # share of needs with their answer in the top 3, with a reason
CROWDING_TARGET = 1 / 3  # largest share of startups' top 3 one mentor may hold


def missed_targets(out: dict[str, Any]) -> list[str]:
    """The issue-13 targets the measured figures miss (empty: all met)."""
    missed = []
    for direction in ("en_to_zh", "zh_to_en"):
        r = out[direction]
        share = r["top3_with_reason"] / max(1, r["needs"])
        if share < CROSS_LINGUAL_TARGET:
            missed.append(f"{direction}: {share:.0%} < {CROSS_LINGUAL_TARGET:.0%}")
    crowd = out.get("crowding")
    if crowd is not None and crowd["max_share"] > CROWDING_TARGET:
        missed.append(f"crowding: {crowd['max_share']:.0%} > {CROWDING_TARGET:.0%}")
    return missed


if __name__ == "__main__":
    sys.exit(main())
