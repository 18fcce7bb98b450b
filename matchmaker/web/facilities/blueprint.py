"""The one ``facilities`` blueprint: the founders' pages (``views``), the managers' pages
(``manage``) and the voucher pages (``vouchers``) all add their routes to it, so none of those
modules imports another."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("facilities", __name__, url_prefix="/facilities")
