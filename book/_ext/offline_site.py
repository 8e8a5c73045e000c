"""Sphinx extension: keep the offline site's pages clean.

Jupyter Book 1 registers some inline scripts twice (a console error in every page:
"Identifier 'THEBE_JS_URL' has already been declared"), and Thebe would fetch its
code from unpkg.com to run cells on a remote kernel, which an offline site cannot do.
This handler keeps each script once and drops Thebe's.
"""


def _clean_scripts(app, pagename, templatename, context, doctree) -> None:
    seen, kept = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        body = attributes.get("body", "")
        key = (str(script), body)
        if key in seen or "thebe" in str(script) or "THEBE_JS_URL" in body:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
