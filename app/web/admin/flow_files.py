"""Download the shop's flow settings as a file, and upload one (``flows/files.py``).

The upload is a CSRF-protected form post, read up to ``MAX_FILE_BYTES``; a bad file is refused with
400 and every problem named, and nothing is stored.
"""

from __future__ import annotations

import logging

from flask import Response, abort, request
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.flows import render_flows
from app.web.admin.page import finish
from flows.files import FORMATS, MAX_FILE_BYTES, FlowFileError, dump, export_document, import_text

log = logging.getLogger(__name__)

MEDIA_TYPES = {"yaml": "application/yaml", "json": "application/json"}


@bp.get("/flows/export.<fmt>")
def export_flows(fmt: str) -> Response:
    """Send every flow's settings as a YAML or JSON download."""
    if fmt not in FORMATS:
        abort(404)
    shop = current_shop()
    body = dump(export_document(db.session(), shop.id), fmt)
    name = f"storeflow-flows-{shop.domain}.{fmt}".replace("/", "_")
    return Response(
        body,
        mimetype=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/flows/import")
def import_flows() -> WerkzeugResponse | tuple[str, int]:
    """Store the settings of an uploaded flow file: all of it, or nothing with the reasons."""
    shop = current_shop()
    upload = request.files.get("flow_file")
    if upload is None or not upload.filename:
        return render_flows(error=gettext("Choose a flow file (YAML or JSON) to import."), status=400)
    try:
        imported = import_text(db.session(), shop.id, upload.stream.read(MAX_FILE_BYTES + 1))
    except FlowFileError as exc:
        db.session.rollback()
        log.info("shop %s: flow file refused: %s", shop.id, exc)
        return render_flows(error=gettext("Nothing imported. %(reason)s", reason=exc), status=400)
    db.session.commit()
    log.info("shop %s imported settings of %d flows", shop.id, len(imported))
    return finish(
        "admin.flows",
        ngettext(
            "Imported the settings of %(num)d flow.", "Imported the settings of %(num)d flows.", len(imported)
        ),
    )
