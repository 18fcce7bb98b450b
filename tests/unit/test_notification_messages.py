"""Every notification kind the code sends has its text in services/notification_messages.py.

A kind without a text would reach the reader as its bare code ("funding.pitch_x"). The kinds are
read from the source: each ``notify(session, recipients, kind, ...)`` call's ``kind`` is a string,
a constant, a choice of two, a variable set to strings in the same function, a parameter of a
function called with strings, or an f-string whose values come from the code's own vocabularies
(listed below)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from matchmaker.services.funding import pipeline, pitch_messages
from matchmaker.services.notification_messages import MESSAGES

PACKAGE = Path(__file__).resolve().parents[2] / "matchmaker"

# What the ``{...}`` of an f-string kind can be when it comes from a request, not a literal.
F_STRING_VALUES: dict[str, set[str]] = {
    # A deal moved to a stage (pipeline) or a message posted on a pitch (pitch_messages).
    "funding.pitch_{}": {stage for targets in pipeline.TRANSITIONS.values() for stage in targets}
    | {kind for kinds in pitch_messages.KINDS_BY_SIDE.values() for kind in kinds},
    # The side asking for an introduction.
    "funding.intro_requested_by_{}": {"startup", "investor"},
}


class Unresolved(Exception):
    pass


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


MODULES = list(_modules())
FUNCTIONS: dict[str, list[ast.FunctionDef]] = {}
for _path, _tree in MODULES:
    for _node in ast.walk(_tree):
        if isinstance(_node, ast.FunctionDef):
            FUNCTIONS.setdefault(_node.name, []).append(_node)


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if position < len(call.args) else None


def _calls_to(name: str) -> Iterator[ast.Call]:
    for _, tree in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee(node) == name:
                yield node


def _values(expr: ast.expr, function: ast.FunctionDef | None, tree: ast.Module) -> set[str]:
    """Every string ``expr`` can be, or Unresolved."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.JoinedStr):
        return _f_string_values(expr, function, tree)
    if isinstance(expr, ast.IfExp):
        return _values(expr.body, function, tree) | _values(expr.orelse, function, tree)
    if isinstance(expr, ast.Name):
        if function is not None:
            assigned = [
                node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
            ]
            if assigned:
                return set().union(*(_values(v, function, tree) for v in assigned))
            positional = [a.arg for a in function.args.args]
            if expr.id in positional + [a.arg for a in function.args.kwonlyargs]:
                # A keyword-only parameter has no position: only ``name=...`` passes it.
                position = positional.index(expr.id) if expr.id in positional else 10_000
                values: set[str] = set()
                for call in _calls_to(function.name):
                    argument = _argument(call, position, expr.id)
                    if argument is None:
                        raise Unresolved(f"{function.name}() called without {expr.id}")
                    values |= _values(argument, _enclosing(call), _module_of(call))
                if not values:
                    raise Unresolved(f"{function.name}() is never called")
                return values
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == expr.id for t in node.targets
            ):
                return _values(node.value, None, tree)
    raise Unresolved(ast.unparse(expr))


def _f_string_values(
    expr: ast.JoinedStr, function: ast.FunctionDef | None, tree: ast.Module
) -> set[str]:
    pattern = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in expr.values)
    parts: list[set[str]] = []
    for value in expr.values:
        if isinstance(value, ast.Constant):
            parts.append({str(value.value)})
            continue
        assert isinstance(value, ast.FormattedValue)
        try:
            parts.append(_values(value.value, function, tree))
        except Unresolved:
            if pattern not in F_STRING_VALUES:
                raise Unresolved(
                    f"{pattern}: say what its {{}} can be in F_STRING_VALUES"
                ) from None
            return {pattern.replace("{}", v) for v in F_STRING_VALUES[pattern]}
    kinds = {""}
    for options in parts:
        kinds = {k + o for k in kinds for o in options}
    return kinds


_PARENTS: dict[int, tuple[ast.FunctionDef | None, ast.Module]] = {}
for _path, _tree in MODULES:
    for _fn in [n for n in ast.walk(_tree) if isinstance(n, ast.FunctionDef)]:
        for _inner in ast.walk(_fn):
            _PARENTS[id(_inner)] = (_fn, _tree)
    for _node in ast.walk(_tree):
        _PARENTS.setdefault(id(_node), (None, _tree))


def _enclosing(node: ast.AST) -> ast.FunctionDef | None:
    return _PARENTS[id(node)][0]


def _module_of(node: ast.AST) -> ast.Module:
    return _PARENTS[id(node)][1]


def notified_kinds() -> dict[str, str]:
    """kind -> where it is sent (``path:line``), for every ``notify`` call in the package."""
    kinds: dict[str, str] = {}
    for path, tree in MODULES:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _callee(node) == "notify"):
                continue
            kind = _argument(node, 2, "kind")
            assert kind is not None, f"{path}:{node.lineno}: notify() without a kind"
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            try:
                values = _values(kind, _enclosing(node), tree)
            except Unresolved as exc:
                raise AssertionError(f"{where}: cannot tell which kind this sends ({exc})") from exc
            kinds.update(dict.fromkeys(values, where))
    return kinds


def test_every_notified_kind_has_a_message() -> None:
    kinds = notified_kinds()
    # The reading above found the areas' notifications, including the ones built from a parameter
    # (mentoring's turn passing, the bookings' shared helper) and from f-strings.
    assert {
        "mentoring.times_proposed",
        "facilities.booking_cancelled",
        "funding.intro_accepted",
        "funding.pitch_invested",
        "funding.pitch_reply",
        "profiles.invited_to_investor",
        "operator.policy_eligible",
    } <= set(kinds)
    missing = {kind: where for kind, where in kinds.items() if kind not in MESSAGES}
    assert not missing, f"notification kinds without a text in notification_messages: {missing}"
