"""Recommendation commands: ``index build|status|verify``, ``train-ranker``, ``calibrate``
and ``eval``.

Thin: each parses its options, calls ``services.recommendations.engines`` /
``services.recommendations.eval_bundle`` and prints a summary. ``EMBEDDING_MODEL=hashing``
(``MATCHMAKER_EMBEDDING_MODEL=hashing``) uses the model-free hashing embedder instead of the
sentence-transformers model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from matchmaker.extensions import db
from matchmaker.services.recommendations.engine_settings import Caller, EngineSettings


@click.group(
    "index",
    help="Recommendation indexes: published versions under INDEX_DIR (v<N>/, CURRENT).",
)
def index_group() -> None:
    pass


def _caller() -> Caller:
    """A command asks the engine outside any request (it may build on the spot) for this app
    (the real one: a background load or a queued rebuild opens its context)."""
    return Caller.offline(current_app._get_current_object())  # type: ignore[attr-defined]


def _settings(embedding_model: str | None = None) -> EngineSettings:
    settings = EngineSettings.from_app(current_app)
    if embedding_model:
        settings = replace(settings, embedding_model=embedding_model)
    return settings


@index_group.command("build")
@with_appcontext
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["startup", "mentor", "investor", "equipment"]),
    help="Only report these kinds (a version always holds every kind).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index_build(kinds: tuple[str, ...], quiet: bool) -> None:
    """Build and publish a new index version now: the queue's job, run here (stored vectors
    are reused; only new or changed texts are embedded). Web processes swap to it by
    themselves within a second or two."""
    from matchmaker.services.recommendations.engines import build_indexes

    settings = _settings()
    click.echo(f"building indexes in {settings.index_dir} with {settings.embedding_model} ...")
    report = build_indexes(db.session, settings, kinds or None, show_progress=not quiet)
    click.echo(f"{'kind':<10} {'profiles':>9} {'embedded':>9}  index   recall@10")
    for k in report.kinds:
        recall = "-" if k.recall_at_10 is None else f"{k.recall_at_10:.3f}"
        click.echo(f"{k.kind:<10} {k.count:>9} {k.embedded:>9}  {k.index_type:<7} {recall}")
    total = sum(k.count for k in report.kinds)
    embedded = sum(k.embedded for k in report.kinds)
    click.echo(
        f"done: version {report.version} published, {total} profiles indexed, {embedded}"
        f" embedded, {total - embedded} reused, model {report.model_id}, {report.seconds:.1f}s"
    )


@index_group.command("status")
@with_appcontext
def index_status() -> None:
    """What the published version holds (from its manifests)."""
    from matchmaker.recommend.store import current_version
    from matchmaker.services.recommendations.engines import index_status as status

    settings = _settings()
    version = current_version(settings.index_dir)
    click.echo(f"indexes in {settings.index_dir}: published version {version or 'none'}")
    missing = 0
    for s in status(settings):
        if not s.present:
            missing += 1
            click.echo(f"  {s.kind:<10} missing")
            continue
        recall = "" if s.recall_at_10 is None else f" recall@10={s.recall_at_10:.3f}"
        click.echo(
            f"  {s.kind:<10} {s.count:>7} vectors  {s.index_type:<6} {s.model_id}"
            f" {s.template_version}  built {s.created_at}{recall}"
        )
    if missing:
        click.echo("run `flask --app matchmaker index build` to create the missing indexes")


@index_group.command("verify")
@with_appcontext
def index_verify() -> None:
    """Check checksums, model and content against the database; exit 1 if any is unusable."""
    from matchmaker.services.recommendations.engines import verify_indexes

    checks = verify_indexes(db.session, _settings())
    for c in checks:
        click.echo(f"  {c.kind:<10} {'ok' if c.ok else 'FAILED'}  {c.problem}")
    bad = [c for c in checks if not c.ok]
    if bad:
        click.echo(
            f"{len(bad)} index(es) unusable: web processes keep serving the last good version;"
            " the job worker rebuilds, or run `flask --app matchmaker index build`"
        )
        raise SystemExit(1)
    click.echo("all indexes verified")


@click.command("train-ranker")
@with_appcontext
def train_ranker() -> None:
    """Learn ranking weights from match outcomes (MatchOutcome) into MODEL_DIR."""
    from matchmaker.services.recommendations.engines import train_rankers

    for r in train_rankers(db.session, _settings(), caller=_caller()):
        if r.path is None:
            click.echo(f"{r.kind}: {r.message}")
            continue
        metrics = ", ".join(f"{k}={v:.3f}" for k, v in sorted(r.metrics.items()))
        click.echo(f"{r.kind}: trained on {r.rows} outcomes ({r.positives} positive) -> {r.path}")
        click.echo(f"{r.kind}: {metrics}")


@click.command("calibrate")
@with_appcontext
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["investor", "mentor"]),
    help="Only these kinds (default: both).",
)
def calibrate_command(kinds: tuple[str, ...]) -> None:
    """Re-choose ranking weights from the platform's own relations (time split inside the
    history, popularity floor); writes MODEL_DIR/calibration-<kind>.json."""
    from matchmaker.services.recommendations.engines import PAIR_KINDS, calibrate_engine

    settings = _settings()
    for cal in calibrate_engine(db.session, settings, kinds or PAIR_KINDS, caller=_caller()):
        checks = ", ".join(f"{k}={v:.4f}" for k, v in cal.metrics.items() if "ndcg" in k)
        click.echo(f"{cal.kind}: {cal.method} on {cal.n_targets} target startups ({checks})")
        if cal.note:
            click.echo(f"{cal.kind}: {cal.note}")
        weights = ", ".join(f"{k}={v:.3f}" for k, v in sorted(cal.weights.items()))
        click.echo(f"{cal.kind}: weights {weights} -> {settings.model_dir}")


@click.command("eval")
@with_appcontext
@click.argument("bundle_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object only.")
@click.option("--embedding-model", default=None, help="Override EMBEDDING_MODEL (e.g. 'hashing').")
@click.option(
    "--with-rankers",
    is_flag=True,
    help="Use the learned rankers in MODEL_DIR (default: the engine's default weights).",
)
@click.option(
    "--no-calibrate",
    is_flag=True,
    help="Skip calibrating on the bundle's own history (keep the default weights).",
)
def eval_command(
    bundle_dir: Path,
    as_json: bool,
    embedding_model: str | None,
    with_rankers: bool,
    no_calibrate: bool,
) -> None:
    """Measure the engine on a benchmark bundle (see benchmarks/bundles/README.md)."""
    from matchmaker.services.recommendations.bundle_import import BundleError
    from matchmaker.services.recommendations.eval_bundle import evaluate_bundle

    settings = _settings(embedding_model)
    progress = None
    if not as_json:
        from tqdm import tqdm

        def progress(items: Iterable[int]) -> Iterator[int]:
            return iter(tqdm(items, desc="ranking", unit="startup"))

    try:
        result = evaluate_bundle(
            bundle_dir,
            embedding_model=settings.embedding_model,
            model_dir=settings.model_dir if with_rankers else None,
            show_progress=not as_json,
            progress=progress,
            calibrate=not no_calibrate,
        )
    except BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(
        f"bundle {result.bundle}: task={result.task}, language={result.language},"
        f" {result.queries} query startups, {result.candidates} candidates,"
        f" embedder={result.embedder}"
    )
    click.echo(f"{'ranker':<12} {'recall@10':>10} {'ndcg@10':>10} {'mrr':>10}")
    rows = {"engine": result.engine, **result.baselines}
    for name, m in rows.items():
        click.echo(f"{name:<12} {m['recall@10']:>10.4f} {m['ndcg@10']:>10.4f} {m['mrr']:>10.4f}")
    cmp = result.vs_best_baseline
    click.echo(
        f"engine / best baseline ({cmp['best_baseline']}) nDCG@10 = {cmp['ratio']:.3f};"
        f" engine - {cmp['best_baseline']} = {cmp['diff']:+.4f},"
        f" paired bootstrap 95% CI [{cmp['ci_low']:+.4f}, {cmp['ci_high']:+.4f}]"
        f"  ({result.seconds:.1f}s)"
    )
    if result.calibration:
        cal = result.calibration
        checks = ", ".join(f"{k}={v:.4f}" for k, v in cal["metrics"].items() if "ndcg" in k)
        click.echo(f"calibration on the bundle's history: {cal['method']} ({checks})")


def register(app: Flask) -> None:
    app.cli.add_command(index_group)
    app.cli.add_command(train_ranker)
    app.cli.add_command(eval_command)
    app.cli.add_command(calibrate_command)
